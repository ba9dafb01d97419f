import React, { useState } from 'react';
import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  DataSourceInstanceSettings,
  DataSourcePluginContextProvider,
  DataSourceSettings,
  EventBusSrv,
  PluginType,
} from '@grafana/data';
import { config, setAppEvents } from '@grafana/runtime';

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

export function lastCall<T>(fn: { mock: { calls: unknown[][] } }): T {
  const calls = fn.mock.calls;
  return calls[calls.length - 1][0] as T;
}
