import React from 'react';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DataSourceSettings } from '@grafana/data';
import { config } from '@grafana/runtime';
import { vi } from 'vitest';

const backendGet = vi.fn();
vi.mock('@grafana/runtime', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@grafana/runtime')>()),
  getBackendSrv: () => ({ get: backendGet }),
}));

import { fetchRegions } from '../components/ConfigEditor';
import { CloudWatchJsonData, CloudWatchSecureJsonData } from '../types';
import { lastCall, pickOption, renderConfigEditor, settings, setupGrafanaRuntime } from './helpers';

type Settings = DataSourceSettings<CloudWatchJsonData, CloudWatchSecureJsonData>;

const renderEditor = renderConfigEditor;

beforeEach(() => {
  setupGrafanaRuntime();
  backendGet.mockReset();
  backendGet.mockResolvedValue([{ value: { name: 'eu-west-1' } }, { value: { name: 'ap-south-9' } }]);
});

describe('ConfigEditor', () => {
  it('offers every auth type the backend supports and stores authType in jsonData', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
    const user = userEvent.setup();
    await user.click(screen.getByLabelText('Authentication Provider'));
    for (const label of ['AWS SDK Default', 'Access & secret key', 'Credentials file', 'Workspace IAM Role']) {
      expect(screen.getAllByText(label).length).toBeGreaterThan(0);
    }
    await user.keyboard('{Escape}');
    await pickOption('Authentication Provider', 'Workspace IAM Role');
    expect(lastCall<Settings>(onOptionsChange).jsonData.authType).toBe('ec2_iam_role');
  });

  it('stores access and secret key (and session token) only in secureJsonData', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
    await pickOption('Authentication Provider', 'Access & secret key');
    expect(lastCall<Settings>(onOptionsChange).jsonData.authType).toBe('keys');

    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Access Key ID/), 'AKIAEXAMPLE');
    await user.type(screen.getByLabelText(/^Secret Access Key/), 's3cr3t');
    await user.type(screen.getByLabelText(/^Session Token/), 'tok');

    const last = lastCall<Settings>(onOptionsChange);
    expect(last.secureJsonData).toEqual({ accessKey: 'AKIAEXAMPLE', secretKey: 's3cr3t', sessionToken: 'tok' });
    expect(JSON.stringify(last.jsonData)).not.toMatch(/AKIAEXAMPLE|s3cr3t|tok/);
    expect(last.jsonData).toEqual({ authType: 'keys' });
  });

  it('shows configured secrets and resets them the Grafana way', async () => {
    const onOptionsChange = renderEditor(
      settings({ authType: 'keys' as any }, { accessKey: true, secretKey: true, sessionToken: true })
    );
    expect(screen.getAllByPlaceholderText('Configured').length).toBeGreaterThanOrEqual(2);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Edit Access Key ID/i }));
    let last = lastCall<Settings>(onOptionsChange);
    expect(last.secureJsonFields.accessKey).toBe(false);
    expect(last.secureJsonData?.accessKey).toBe('');
    expect(last.secureJsonFields.secretKey).toBe(true);

    await user.click(screen.getByRole('button', { name: /reset/i }));
    last = lastCall<Settings>(onOptionsChange);
    expect(last.secureJsonFields.sessionToken).toBe(false);
    expect(last.secureJsonData?.sessionToken).toBe('');
  });

  it('credentials file: hints at the default profile and stores jsonData.profile', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'credentials' as any }));
    expect(screen.getByTestId('profile-hint')).toHaveTextContent('default');
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Credentials Profile Name/), 'prod');
    expect(lastCall<Settings>(onOptionsChange).jsonData).toEqual({ authType: 'credentials', profile: 'prod' });
    expect(screen.queryByTestId('profile-hint')).not.toBeInTheDocument();
  });

  it('stores assume role, external id, endpoint, custom namespaces in jsonData', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Assume Role ARN/), 'arn:aws:iam::123456789012:role/r');
    await user.type(screen.getByLabelText(/^External ID/), 'ext-1');
    await user.type(screen.getByLabelText(/^Endpoint/), 'http://127.0.0.1:4566');
    await user.type(screen.getByLabelText(/^Namespaces of Custom Metrics/), 'MyApp,Team/Svc');
    expect(lastCall<Settings>(onOptionsChange).jsonData).toEqual({
      authType: 'default',
      assumeRoleArn: 'arn:aws:iam::123456789012:role/r',
      externalId: 'ext-1',
      endpoint: 'http://127.0.0.1:4566',
      customMetricsNamespaces: 'MyApp,Team/Svc',
    });
  });

  it('loads default region options from the backend regions resource', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
    await waitFor(() => expect(backendGet).toHaveBeenCalled());
    expect(backendGet.mock.calls[0][0]).toBe('/api/datasources/uid/cw-uid/resources/regions');
    await act(async () => {});
    await pickOption(/^Default Region/, 'ap-south-9');
    expect(lastCall<Settings>(onOptionsChange).jsonData.defaultRegion).toBe('ap-south-9');
  });

  it('keeps no region list of its own: when the resource fails only the chosen region is offered', async () => {
    backendGet.mockRejectedValueOnce(new Error('boom'));
    await expect(fetchRegions('cw-uid', 'eu-west-3')).resolves.toEqual(['eu-west-3']);
    backendGet.mockRejectedValueOnce(new Error('boom'));
    await expect(fetchRegions('cw-uid')).resolves.toEqual([]);
    await expect(fetchRegions(undefined, 'eu-west-3')).resolves.toEqual(['eu-west-3']);
    backendGet.mockResolvedValueOnce([{ value: { name: 'mx-central-1' } }, { value: { name: 'ap-east-2' } }]);
    await expect(fetchRegions('cw-uid', 'eu-west-3')).resolves.toEqual(['mx-central-1', 'ap-east-2']);
  });
});

describe('ConfigEditor: HTTP proxy (Grafana CloudWatch names)', () => {
  it('is always shown, says when it applies, and defaults to env without writing anything', () => {
    (config as any).awsPerDatasourceHTTPProxyEnabled = false;
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
    const section = screen.getByTestId('proxy-settings');
    expect(section).toHaveTextContent('per_datasource_http_proxy_enabled');
    expect(section).toHaveTextContent('[plugin.pyaws-cloudwatch-datasource] per_datasource_http_proxy_enabled');
    expect(within(section).getByText('Environment (default)')).toBeInTheDocument();
    expect(section).toHaveTextContent('HTTP_PROXY');
    for (const label of [/^Proxy URL/, /^Proxy Username/, /^Proxy Password/]) {
      expect(screen.queryByLabelText(label)).not.toBeInTheDocument();
    }
    expect(onOptionsChange).not.toHaveBeenCalled();
  });

  it('renders one proxy section also when Grafana enables per-datasource proxies', () => {
    (config as any).awsPerDatasourceHTTPProxyEnabled = true;
    try {
      renderEditor(settings({ authType: 'default' as any }));
      expect(screen.getAllByText('Proxy Type')).toHaveLength(1);
      expect(screen.getAllByText('Environment (default)')).toHaveLength(1);
    } finally {
      (config as any).awsPerDatasourceHTTPProxyEnabled = false;
    }
  });

  it('URL: shows the fields; URL and username go to jsonData, the password only to secureJsonData', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
    await pickOption('Proxy Type', 'URL');
    expect(lastCall<Settings>(onOptionsChange).jsonData).toEqual({ authType: 'default', proxyType: 'url' });

    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Proxy URL/), 'http://proxy.example.com:3128');
    await user.type(screen.getByLabelText(/^Proxy Username/), 'grafana');
    await user.type(screen.getByLabelText(/^Proxy Password/), 'pr0xy-pw');

    const last = lastCall<Settings>(onOptionsChange);
    expect(last.jsonData).toEqual({
      authType: 'default',
      proxyType: 'url',
      proxyUrl: 'http://proxy.example.com:3128',
      proxyUsername: 'grafana',
    });
    expect(last.secureJsonData).toEqual({ proxyPassword: 'pr0xy-pw' });
    expect(JSON.stringify(last.jsonData)).not.toContain('pr0xy-pw');
    expect(last.jsonData).not.toHaveProperty('proxyPassword');
  });

  it('switching to none/env only changes proxyType: URL, username and password stay stored (as in Grafana)', async () => {
    const onOptionsChange = renderEditor(
      settings(
        { authType: 'default' as any, proxyType: 'url', proxyUrl: 'http://p:3128', proxyUsername: 'u' },
        { proxyPassword: true }
      )
    );
    expect(screen.getByLabelText(/^Proxy URL/)).toHaveValue('http://p:3128');

    await pickOption('Proxy Type', 'None');
    let last = lastCall<Settings>(onOptionsChange);
    expect(last.jsonData).toEqual({ authType: 'default', proxyType: 'none', proxyUrl: 'http://p:3128', proxyUsername: 'u' });
    expect(last.secureJsonFields.proxyPassword).toBe(true);
    expect(screen.queryByLabelText(/^Proxy URL/)).not.toBeInTheDocument();

    await pickOption('Proxy Type', 'Environment');
    last = lastCall<Settings>(onOptionsChange);
    expect(last.jsonData.proxyType).toBe('env');
    expect(last.jsonData.proxyUrl).toBe('http://p:3128');
    expect(screen.queryByLabelText(/^Proxy Username/)).not.toBeInTheDocument();

    await pickOption('Proxy Type', 'URL');
    expect(screen.getByLabelText(/^Proxy URL/)).toHaveValue('http://p:3128');
    expect(screen.getByLabelText(/^Proxy Username/)).toHaveValue('u');
  });

  it('shows a configured proxy password as configured and resets it the Grafana way', async () => {
    const onOptionsChange = renderEditor(
      settings({ authType: 'default' as any, proxyType: 'url', proxyUrl: 'http://p:3128' }, { proxyPassword: true })
    );
    const section = screen.getByTestId('proxy-settings');
    expect(screen.getByLabelText(/^Proxy Password/)).toBeDisabled();
    expect(screen.getByLabelText(/^Proxy Password/)).toHaveValue('configured');
    const user = userEvent.setup();
    await user.click(within(section).getByRole('button', { name: /reset/i }));
    const last = lastCall<Settings>(onOptionsChange);
    expect(last.secureJsonFields.proxyPassword).toBe(false);
    expect(last.secureJsonData?.proxyPassword).toBe('');
    expect(last.jsonData).not.toHaveProperty('proxyPassword');
    expect(screen.getByLabelText(/^Proxy Password/)).toHaveAttribute('type', 'password');
    await user.type(screen.getByLabelText(/^Proxy Password/), 'new');
    expect(lastCall<Settings>(onOptionsChange).secureJsonData?.proxyPassword).toBe('new');
  });
});
