import React, { useCallback, useMemo } from 'react';
import { ConnectionConfig } from '@grafana/aws-sdk';
import {
  DataSourcePluginOptionsEditorProps,
  onUpdateDatasourceJsonDataOption,
  onUpdateDatasourceSecureJsonDataOption,
} from '@grafana/data';
import { config, getBackendSrv } from '@grafana/runtime';
import { Alert, Field, Input, SecretInput } from '@grafana/ui';

import { AUTH_TYPES, CloudWatchJsonData, CloudWatchSecureJsonData } from '../types';
import { CachingSettings } from './CachingSettings';
import { ProxySettings } from './ProxySettings';
import { resetSecret } from './secrets';

export type ConfigEditorProps = DataSourcePluginOptionsEditorProps<CloudWatchJsonData, CloudWatchSecureJsonData>;

/**
 * GET resources/regions → [{"value":{"name":"us-east-1"}}] (the backend reads them from botocore's endpoint data).
 * The frontend keeps no region list of its own: when the route cannot answer (a new, unsaved data source has no uid
 * yet, or the backend fails), the picker offers only the region already chosen, and any region can be typed.
 */
export async function fetchRegions(uid: string | undefined, current?: string): Promise<string[]> {
  const fallback = current ? [current] : [];
  if (!uid) {
    return fallback;
  }
  try {
    const res = await getBackendSrv().get(`/api/datasources/uid/${uid}/resources/regions`, undefined, undefined, {
      showErrorAlert: false,
    });
    const names = (Array.isArray(res) ? res : [])
      .map((item: { value?: { name?: string } }) => item?.value?.name)
      .filter((n: unknown): n is string => typeof n === 'string' && n.length > 0);
    return names.length ? names : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Grafana decides which AWS auth providers may be offered ([aws] allowed_auth_providers).
 * If the running Grafana does not provide that list, offer every method the backend supports.
 */
function ensureAllowedAuthProviders() {
  const cfg = config as unknown as { awsAllowedAuthProviders?: string[] };
  if (!Array.isArray(cfg.awsAllowedAuthProviders) || cfg.awsAllowedAuthProviders.length === 0) {
    cfg.awsAllowedAuthProviders = [...AUTH_TYPES];
  }
}

export function ConfigEditor(props: ConfigEditorProps) {
  const { options } = props;
  ensureAllowedAuthProviders();
  const uid = options.uid;
  const jsonData = options.jsonData ?? {};
  const currentRegion = jsonData.defaultRegion;
  const loadRegions = useCallback(() => fetchRegions(uid, currentRegion), [uid, currentRegion]);
  const authType = jsonData.authType as string | undefined;
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData = (options.secureJsonData ?? {}) as CloudWatchSecureJsonData;

  // ConnectionConfig's props type is fixed to the generic AWS settings; ours extend them.
  const connectionProps = useMemo(
    () =>
      ({
        ...props,
        loadRegions,
        // Until the route answers: only the chosen region, not @grafana/aws-sdk's built-in list.
        standardRegions: currentRegion ? [currentRegion] : [],
      }) as unknown as React.ComponentProps<typeof ConnectionConfig>,
    [props, loadRegions, currentRegion]
  );

  return (
    <div data-testid="pyaws-cloudwatch-config-editor">
      <ConnectionConfig {...connectionProps}>
        {authType === 'credentials' && !jsonData.profile && (
          <Alert severity="info" title="Credentials file profile" data-testid="profile-hint">
            No profile name set: the backend will use the profile <code>default</code> from the shared credentials
            file (~/.aws/credentials of the Grafana server).
          </Alert>
        )}
        {authType === 'keys' && (
          <Field
            label="Session Token"
            description="Optional. Only needed for temporary credentials (STS)."
            htmlFor="sessionToken"
          >
            <SecretInput
              id="sessionToken"
              width={60}
              isConfigured={!!secureJsonFields.sessionToken}
              value={secureJsonData.sessionToken ?? ''}
              onChange={onUpdateDatasourceSecureJsonDataOption(props, 'sessionToken')}
              onReset={() => resetSecret(props, 'sessionToken')}
            />
          </Field>
        )}
        <Field
          label="Namespaces of Custom Metrics"
          description="Comma-separated list of custom metric namespaces, e.g. MyApp,Team/Service."
          htmlFor="customMetricsNamespaces"
        >
          <Input
            id="customMetricsNamespaces"
            placeholder="Namespace1,Namespace2"
            value={jsonData.customMetricsNamespaces ?? ''}
            onChange={onUpdateDatasourceJsonDataOption(props, 'customMetricsNamespaces')}
          />
        </Field>
      </ConnectionConfig>
      {/* Our own section, not ConnectionConfig's `showHttpProxySettings`: that one is hidden unless
          config.awsPerDatasourceHTTPProxyEnabled and shows the proxy password as a plain Input. */}
      <ProxySettings {...props} />
      <CachingSettings {...props} />
    </div>
  );
}
