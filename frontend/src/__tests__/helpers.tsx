import React, { useState } from 'react';
import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  DataSourceInstanceSettings,
  DataSourcePluginContextProvider,
  DataSourceSettings,
  EventBusSrv,
  PluginType,
} from '@grafana/data';
import { config, setAppEvents } from '@grafana/runtime';
import { vi } from 'vitest';

import { ConfigEditor } from '../components/ConfigEditor';
import { AUTH_TYPES, CloudWatchJsonData, CloudWatchSecureJsonData } from '../types';

export const PLUGIN_ID = 'pyaws-cloudwatch-datasource';

/** What Grafana itself provides to plugins at runtime. */
export function setupGrafanaRuntime() {
  setAppEvents(new EventBusSrv());
  const cfg = config as any;
  cfg.awsAllowedAuthProviders = [...AUTH_TYPES];
  cfg.awsAssumeRoleEnabled = true;
}

export function instanceSettings(jsonData: CloudWatchJsonData = {}): DataSourceInstanceSettings<CloudWatchJsonData> {
  return {
    id: 1,
    uid: 'cw-uid',
    type: PLUGIN_ID,
    name: 'CloudWatch (Python)',
    access: 'proxy',
    readOnly: false,
    jsonData,
    meta: {
      id: PLUGIN_ID,
      name: 'CloudWatch (Python)',
      type: PluginType.datasource,
      module: 'plugins/pyaws-cloudwatch-datasource/module',
      baseUrl: 'public/plugins/pyaws-cloudwatch-datasource',
      info: {
        author: { name: 'test' },
        description: '',
        links: [],
        logos: { small: '', large: '' },
        screenshots: [],
        updated: '',
        version: '0.1.0',
      },
      backend: true,
      metrics: true,
    } as any,
  };
}

export function settings(
  jsonData: CloudWatchJsonData = {},
  secureJsonFields: Record<string, boolean> = {}
): DataSourceSettings<CloudWatchJsonData, CloudWatchSecureJsonData> {
  return {
    id: 1,
    uid: 'cw-uid',
    orgId: 1,
    name: 'CloudWatch (Python)',
    type: PLUGIN_ID,
    typeName: 'CloudWatch (Python)',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData,
    secureJsonFields,
    secureJsonData: {},
    readOnly: false,
    withCredentials: false,
    version: 1,
  };
}

/** Renders a controlled editor the way Grafana does: keeps the last emitted value as its state. */
export function Controlled<T>(props: {
  initial: T;
  onChange: (value: T) => void;
  children: (value: T, onChange: (v: T) => void) => React.ReactElement;
}) {
  const [value, setValue] = useState<T>(props.initial);
  const onChange = (v: T) => {
    props.onChange(v);
    setValue(v);
  };
  return (
    <DataSourcePluginContextProvider instanceSettings={instanceSettings()}>
      {props.children(value, onChange)}
    </DataSourcePluginContextProvider>
  );
}

/** Pick (or create) an option in a @grafana/ui Select found by its label. */
export async function pickOption(label: string | RegExp, text: string) {
  const user = userEvent.setup();
  const input = screen.getByLabelText(label);
  await user.click(input);
  await user.type(input, text);
  await waitFor(() => expect(screen.getAllByText(text, { exact: false }).length).toBeGreaterThan(0));
  await user.keyboard('{Enter}');
  await act(async () => {});
}

/**
 * A resource route that answers an error. Grafana's getResource then rejects with the HTTP status and the route's
 * error JSON (`{"Message", "Error", "StatusCode"}`, Grafana CloudWatch's shape), which `rejection` is.
 */
export class FailingRoute {
  constructor(readonly message: string) {}
  get rejection() {
    return { status: 500, data: { Message: this.message, Error: 'Internal', StatusCode: 500 } };
  }
}

/** A getResource stand-in answering `resources[path]` (or `[]`), rejecting as Grafana does for a FailingRoute. */
export function answerFrom(resources: Record<string, unknown>) {
  return async (path: string) => {
    const answer = resources[path];
    if (answer instanceof FailingRoute) {
      throw answer.rejection;
    }
    return answer ?? [];
  };
}

export function lastCall<T>(fn: { mock: { calls: unknown[][] } }): T {
  const calls = fn.mock.calls;
  return calls[calls.length - 1][0] as T;
}

/**
 * Stand-in for Grafana's TemplateSrv with its formatting rules: `$name`, `${name}` and `[[name]]`; without a
 * format a multi-value variable becomes `{a,b}` (Grafana's default "glob" format); a function format gets the
 * raw value; `pipe` / `csv` join with `|` / `,`.
 */
export function fakeTemplateSrv(values: Record<string, string | string[]>) {
  const formatValue = (value: string | string[], format?: string | Function): string => {
    if (typeof format === 'function') {
      return format(value, {}, formatValue);
    }
    if (!Array.isArray(value)) {
      return value;
    }
    if (format === 'pipe') {
      return value.join('|');
    }
    if (format === 'csv') {
      return value.join(',');
    }
    return value.length > 1 ? `{${value.join(',')}}` : value.join('');
  };
  return {
    getVariables: () => Object.keys(values).map((name) => ({ name, type: 'custom' })),
    replace: vi.fn((target?: string, _scopedVars?: unknown, format?: string | Function) =>
      (target ?? '').replace(/\$(\w+)|\$\{(\w+)\}|\[\[(\w+)\]\]/g, (match, a, b, c) => {
        const name = a ?? b ?? c;
        return name in values ? formatValue(values[name], format) : match;
      })
    ),
    containsTemplate: (target?: string) => /\$\w+|\$\{\w+\}|\[\[\w+\]\]/.test(target ?? ''),
    updateTimeRange: () => {},
  } as any;
}

type ConfigSettings = DataSourceSettings<CloudWatchJsonData, CloudWatchSecureJsonData>;

/** Renders the config editor controlled, as Grafana does; returns the mock receiving every onOptionsChange. */
export function renderConfigEditor(initial: ConfigSettings) {
  const onOptionsChange = vi.fn();
  render(
    <Controlled<ConfigSettings> initial={initial} onChange={onOptionsChange}>
      {(options, onChange) => <ConfigEditor options={options} onOptionsChange={onChange} />}
    </Controlled>
  );
  return onOptionsChange;
}
