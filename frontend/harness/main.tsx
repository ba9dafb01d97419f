/**
 * Standalone harness: plays the part of Grafana for dist/module.js.
 * It provides the shared libraries (react, @grafana/*) the way Grafana's loader does (AMD `define`),
 * loads the built plugin, and renders its ConfigEditor and QueryEditor. The backend resources are
 * answered over HTTP by the harness server (scripts/browser-test.mjs).
 */
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';
import * as lodash from 'lodash';

const { createTheme, DataSourcePluginContextProvider, EventBusSrv, PluginType, ThemeContext } = grafanaData;
const { config, setAppEvents, setBackendSrv } = grafanaRuntime;
const { GlobalStyles } = grafanaUi;

const shared: Record<string, unknown> = {
  react: React,
  'react-dom': ReactDOM,
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  rxjs,
  'rxjs/operators': rxjsOperators,
  lodash,
};

const w = window as any;
w.__events = [] as string[];

function define(deps: string[], factory: (...args: unknown[]) => unknown) {
  const missing = deps.filter((d) => !(d in shared));
  if (missing.length) {
    throw new Error(`module.js needs modules Grafana does not provide here: ${missing.join(', ')}`);
  }
  w.__pluginModule = factory(...deps.map((d) => shared[d]));
}
(define as any).amd = {};
w.define = define;

// Minimal BackendSrv: real HTTP to the harness server.
function toUrl(url: string, params?: Record<string, string>) {
  const qs = params ? new URLSearchParams(params).toString() : '';
  return qs ? `${url}?${qs}` : url;
}
async function request(url: string, params?: Record<string, string>) {
  const res = await fetch(toUrl(url, params));
  const data = await res.json();
  if (!res.ok) {
    throw { status: res.status, data };
  }
  return { data, status: res.status, ok: true };
}
setBackendSrv({
  get: (url: string, params?: Record<string, string>) => request(url, params).then((r) => r.data),
  fetch: (opts: { url: string; params?: Record<string, string> }) => rxjs.from(request(opts.url, opts.params)),
} as any);
setAppEvents(new EventBusSrv());
(config as any).awsAllowedAuthProviders = ['default', 'keys', 'credentials', 'ec2_iam_role'];
(config as any).awsAssumeRoleEnabled = true;

const PLUGIN_ID = 'pyaws-cloudwatch-datasource';
const meta = {
  id: PLUGIN_ID,
  name: 'CloudWatch (Python)',
  type: PluginType.datasource,
  module: 'module.js',
  baseUrl: '/dist',
  backend: true,
  info: {
    author: { name: '' },
    description: '',
    links: [],
    logos: { small: '/dist/img/logo.svg', large: '/dist/img/logo.svg' },
    screenshots: [],
    updated: '',
    version: '0.1.0',
  },
} as any;
const instanceSettings = {
  id: 1,
  uid: 'harness-uid',
  type: PLUGIN_ID,
  name: 'CloudWatch (Python)',
  access: 'proxy',
  readOnly: false,
  jsonData: { authType: 'default', defaultRegion: 'us-east-1' },
  meta,
} as any;

function loadScript(src: string) {
  return new Promise<void>((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`failed to load ${src}`));
    document.head.appendChild(s);
  });
}

function App({ plugin }: { plugin: any }) {
  const ConfigEditor = plugin.components.ConfigEditor;
  const QueryEditor = plugin.components.QueryEditor;
  const ds = React.useMemo(() => new plugin.DataSourceClass(instanceSettings), [plugin]);

  const [options, setOptions] = React.useState<any>({
    id: 1,
    uid: 'harness-uid',
    orgId: 1,
    name: 'CloudWatch (Python)',
    type: PLUGIN_ID,
    typeName: 'CloudWatch (Python)',
    typeLogoUrl: '/dist/img/logo.svg',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: { authType: 'default' },
    secureJsonFields: {},
    secureJsonData: {},
    readOnly: false,
    withCredentials: false,
    version: 1,
  });
  const [query, setQuery] = React.useState<any>({ refId: 'A', ...ds.getDefaultQuery('panel-editor') });
  // Old dashboards store variable queries as strings; the editor migrates them.
  const [variableQuery, setVariableQuery] = React.useState<any>('metrics(AWS/EC2)');
  const VariableQueryEditor = ds.variables?.editor;
  // A second panel query for the Logs editor, and a dashboard annotation (Grafana passes its target to the editor).
  const [logsQuery, setLogsQuery] = React.useState<any>({ refId: 'B', ...ds.getDefaultQuery('panel-editor') });
  const [annotationTarget, setAnnotationTarget] = React.useState<any>({
    refId: 'Anno',
    ...ds.annotations?.getDefaultQuery?.(),
  });
  const AnnotationEditor = ds.annotations?.QueryEditor;
  // Grafana mounts an editor afresh when a panel or the annotation settings are opened; a new key does the same.
  const [mounts, setMounts] = React.useState(0);
  w.__remountEditors = () => setMounts((n) => n + 1);
  w.__options = options;
  w.__query = query;
  w.__variableQuery = variableQuery;
  w.__logsQuery = logsQuery;
  w.__annotationTarget = annotationTarget;
  w.__datasource = ds;

  return (
    <DataSourcePluginContextProvider instanceSettings={instanceSettings}>
      <div style={{ padding: 16, maxWidth: 1100 }}>
        <section id="config-editor" style={{ padding: 16 }}>
          <h2>
            <img src="/dist/img/logo.svg" width={28} height={28} alt="" style={{ verticalAlign: 'middle' }} />{' '}
            CloudWatch (Python) — data source settings
          </h2>
          <ConfigEditor options={options} onOptionsChange={setOptions} />
        </section>
        <section id="query-editor" style={{ padding: 16 }}>
          <h2>Query editor</h2>
          <QueryEditor
            datasource={ds}
            query={query}
            onChange={setQuery}
            onRunQuery={() => w.__events.push('runQuery')}
          />
          <pre id="query-json" style={{ fontSize: 11 }}>
            {JSON.stringify(query, null, 1)}
          </pre>
        </section>
        <section id="logs-editor" style={{ padding: 16 }}>
          <h2>Query editor — CloudWatch Logs</h2>
          <QueryEditor
            key={mounts}
            datasource={ds}
            query={logsQuery}
            onChange={setLogsQuery}
            onRunQuery={() => w.__events.push('runLogsQuery')}
          />
        </section>
        <section id="annotation-editor" style={{ padding: 16 }}>
          <h2>Annotation query — CloudWatch alarms</h2>
          {AnnotationEditor && (
            <AnnotationEditor
              key={mounts}
              datasource={ds}
              query={annotationTarget}
              onChange={setAnnotationTarget}
              onRunQuery={() => {}}
            />
          )}
        </section>
        <section id="variable-editor" style={{ padding: 16 }}>
          <h2>Variable query editor</h2>
          {VariableQueryEditor && (
            <VariableQueryEditor datasource={ds} query={variableQuery} onChange={setVariableQuery} onRunQuery={() => {}} />
          )}
        </section>
      </div>
    </DataSourcePluginContextProvider>
  );
}

async function main() {
  await loadScript('/dist/module.js');
  const plugin = w.__pluginModule?.plugin;
  if (!plugin || !plugin.components?.ConfigEditor || !plugin.components?.QueryEditor) {
    throw new Error('dist/module.js did not export a DataSourcePlugin with editors');
  }
  const theme = createTheme({ colors: { mode: 'dark' } });
  createRoot(document.getElementById('root')!).render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <App plugin={plugin} />
    </ThemeContext.Provider>
  );
  w.__ready = true;
}

main().catch((e) => {
  w.__error = String(e?.stack || e);
  document.body.textContent = `HARNESS ERROR: ${e}`;
});
