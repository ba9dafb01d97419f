import React from 'react';
import {
  onUpdateDatasourceJsonDataOption,
  onUpdateDatasourceJsonDataOptionSelect,
  onUpdateDatasourceSecureJsonDataOption,
  SelectableValue,
} from '@grafana/data';
import { ConfigSection } from '@grafana/plugin-ui';
import { Field, Input, SecretInput, Select, Text } from '@grafana/ui';

import { CloudWatchSecureJsonData, DEFAULT_PROXY_TYPE, ProxyType } from '../types';
import type { ConfigEditorProps } from './ConfigEditor';
import { resetSecret } from './secrets';

/** Same options (and labels) as the proxy section of @grafana/aws-sdk's ConnectionConfig. */
export const PROXY_TYPE_OPTIONS: Array<SelectableValue<ProxyType>> = [
  { label: 'Environment (default)', value: 'env' },
  { label: 'None', value: 'none' },
  { label: 'URL', value: 'url' },
];

/**
 * Grafana's per-data source HTTP proxy for AWS, with the settings names of Grafana's CloudWatch data source:
 * jsonData.proxyType / proxyUrl / proxyUsername, secureJsonData.proxyPassword. Switching the type only
 * changes proxyType: URL, username and password stay stored (as in Grafana) and are ignored unless type is "url".
 */
export function ProxySettings(props: ConfigEditorProps) {
  const { options } = props;
  const jsonData = options.jsonData ?? {};
  const proxyType: ProxyType = jsonData.proxyType || DEFAULT_PROXY_TYPE;
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData = (options.secureJsonData ?? {}) as CloudWatchSecureJsonData;

  return (
    <div data-testid="proxy-settings">
      <ConfigSection
        title="HTTP proxy"
        description={
          <>
            Takes effect only when the Grafana server enables per-data source proxies (
            <code>[aws] per_datasource_http_proxy_enabled = true</code>, forwarded to this plugin, or this plugin&apos;s
            own <code>[plugin.pyaws-cloudwatch-datasource] per_datasource_http_proxy_enabled = true</code>).
          </>
        }
      >
        <Field
          label="Proxy Type"
          description="How AWS requests reach the network. Do not set it if Secure Socks Proxy is enabled."
          htmlFor="proxyType"
        >
          <Select
            inputId="proxyType"
            aria-label="Proxy Type"
            width={60}
            value={proxyType}
            options={PROXY_TYPE_OPTIONS}
            onChange={onUpdateDatasourceJsonDataOptionSelect(props, 'proxyType')}
            menuShouldPortal
          />
        </Field>
        {proxyType === 'env' && (
          <Text variant="bodySmall" color="secondary">
            Uses the <code>HTTP_PROXY</code>, <code>HTTPS_PROXY</code> and <code>NO_PROXY</code> environment
            variables of the Grafana server; none set means a direct connection.
          </Text>
        )}
        {proxyType === 'url' && (
          <>
            <Field
              label="Proxy URL"
              description="For example http://proxy.example.com:3128. Put the username and password in their own fields, not in the URL."
              htmlFor="proxyUrl"
              required
            >
              <Input
                id="proxyUrl"
                width={60}
                placeholder="http://proxy.example.com:3128"
                value={jsonData.proxyUrl ?? ''}
                onChange={onUpdateDatasourceJsonDataOption(props, 'proxyUrl')}
              />
            </Field>
            <Field
              label="Proxy Username"
              description="Optional. Sent with the password as basic authentication."
              htmlFor="proxyUsername"
            >
              <Input
                id="proxyUsername"
                width={60}
                value={jsonData.proxyUsername ?? ''}
                onChange={onUpdateDatasourceJsonDataOption(props, 'proxyUsername')}
              />
            </Field>
            <Field label="Proxy Password" description="Optional. Stored encrypted." htmlFor="proxyPassword">
              <SecretInput
                id="proxyPassword"
                width={60}
                isConfigured={!!secureJsonFields.proxyPassword}
                value={secureJsonData.proxyPassword ?? ''}
                onChange={onUpdateDatasourceSecureJsonDataOption(props, 'proxyPassword')}
                onReset={() => resetSecret(props, 'proxyPassword')}
              />
            </Field>
          </>
        )}
      </ConfigSection>
    </div>
  );
}
