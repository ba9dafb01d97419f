import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DataSourceSettings } from '@grafana/data';
import { vi } from 'vitest';

vi.mock('@grafana/runtime', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@grafana/runtime')>()),
  getBackendSrv: () => ({ get: vi.fn().mockResolvedValue([]) }),
}));

import {
  CACHE_FIELDS,
  NumberSpec,
  PACING_FIELDS,
  REDIS_TIMEOUT_FIELD,
  redisUrlProblems,
  validateSetting,
} from '../components/CachingSettings';
import { CloudWatchJsonData, CloudWatchSecureJsonData } from '../types';
import { lastCall, renderConfigEditor, settings, setupGrafanaRuntime } from './helpers';

type Settings = DataSourceSettings<CloudWatchJsonData, CloudWatchSecureJsonData>;

const renderEditor = renderConfigEditor;

async function openSection() {
  await userEvent.setup().click(screen.getByRole('button', { name: 'Expand section Cost and caching' }));
}

const label = (spec: NumberSpec) => new RegExp('^' + spec.label.replace(/[()/]/g, '\\$&'));

beforeEach(() => setupGrafanaRuntime());

describe('Cost and caching section', () => {
  it('is collapsed on a new data source and opens on click', async () => {
    renderEditor(settings({ authType: 'default' as any }));
    expect(screen.queryByLabelText(/^Cache TTL/)).not.toBeInTheDocument();
    await openSection();
    expect(screen.getByLabelText(/^Cache TTL/)).toHaveAttribute('placeholder', '30');
  });

  it('is open when one of its settings is stored, showing the stored values', () => {
    renderEditor(settings({ authType: 'default' as any, cacheTTLSeconds: 120, resultCacheRedisTimeoutMs: 500 }));
    expect(screen.getByLabelText(/^Cache TTL/)).toHaveValue('120');
    expect(screen.getByLabelText(/^Redis timeout/)).toHaveValue('500');
  });

  it.each([...CACHE_FIELDS, ...PACING_FIELDS, REDIS_TIMEOUT_FIELD].map((s) => [s.key, s] as const))(
    '%s is written to jsonData as a number; clearing it removes the key (the default)',
    async (key, spec) => {
      const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
      await openSection();
      const user = userEvent.setup();
      const input = screen.getByLabelText(label(spec));
      const value = String(Math.max(spec.min, 1) + 0.5);
      await user.type(input, value);
      let last = lastCall<Settings>(onOptionsChange);
      expect(last.jsonData[key]).toBe(Number(value));
      expect(typeof last.jsonData[key]).toBe('number');
      expect(input).toHaveValue(value);
      await user.clear(input);
      last = lastCall<Settings>(onOptionsChange);
      expect(last.jsonData).not.toHaveProperty(key);
      expect(last.jsonData.authType).toBe('default');
    }
  );

  it('shows the backend rule for a value it would reject, and does not store it', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any, cacheLateDataSeconds: 300 }));
    const user = userEvent.setup();
    const input = screen.getByLabelText(/^Late data overlap/);
    await user.clear(input);
    await user.type(input, '30');
    expect(screen.getByText(/Must be a number of seconds from 60 to 86400/)).toBeInTheDocument();
    // "3" was refused, so was "30": the last stored value is the cleared field's (the default).
    expect(lastCall<Settings>(onOptionsChange).jsonData).not.toHaveProperty('cacheLateDataSeconds');
    await user.type(input, '0');
    expect(screen.queryByText(/Must be/)).not.toBeInTheDocument();
    expect(lastCall<Settings>(onOptionsChange).jsonData.cacheLateDataSeconds).toBe(300);

    await user.type(screen.getByLabelText(/^GetMetricData calls/), 'abc');
    expect(screen.getByText(/Must be a number of at least 0 \(0: no limit\)/)).toBeInTheDocument();
    expect(lastCall<Settings>(onOptionsChange).jsonData).not.toHaveProperty('getMetricDataCallsPerSecond');
  });

  it('flags a provisioned value out of range', () => {
    renderEditor(settings({ authType: 'default' as any, cacheTTLSeconds: 100000 }));
    expect(screen.getByText(/Must be a number of seconds from 0 to 86400/)).toBeInTheDocument();
  });

  it('validates like settings.py', () => {
    const [ttl, maxMb] = CACHE_FIELDS;
    expect(validateSetting(ttl, '0')).toBeUndefined();
    expect(validateSetting(ttl, '86400')).toBeUndefined();
    expect(validateSetting(ttl, '86401')).toMatch(/from 0 to 86400/);
    expect(validateSetting(ttl, '-1')).toMatch(/from 0 to 86400/);
    expect(validateSetting(ttl, '')).toBeUndefined();
    expect(validateSetting(maxMb, '0.5')).toMatch(/from 1 to 16384/);
    expect(validateSetting(maxMb, '1.5')).toBeUndefined();
    expect(validateSetting(PACING_FIELDS[0], '0')).toBeUndefined();
    expect(validateSetting(PACING_FIELDS[0], '1e9')).toBeUndefined();
    expect(validateSetting(PACING_FIELDS[0], 'Infinity')).toMatch(/at least 0/);
    expect(validateSetting(PACING_FIELDS[0], '0x10')).toMatch(/at least 0/);
    expect(validateSetting(REDIS_TIMEOUT_FIELD, '0')).toMatch(/from 1 to 5000/);
    expect(validateSetting(REDIS_TIMEOUT_FIELD, '5001')).toMatch(/from 1 to 5000/);
  });

  it('stores incremental refresh as a boolean, on by default', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
    await openSection();
    const toggle = screen.getByLabelText(/^Incremental refresh/);
    expect(toggle).toBeChecked();
    await userEvent.setup().click(toggle);
    expect(lastCall<Settings>(onOptionsChange).jsonData.cacheIncremental).toBe(false);
  });

  it('writes the Redis strings to jsonData and the password only to secureJsonData', async () => {
    const onOptionsChange = renderEditor(settings({ authType: 'default' as any }));
    await openSection();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/^Redis URL/), 'rediss://redis.example:6380/0');
    await user.type(screen.getByLabelText(/^Redis user/), 'grafana');
    await user.type(screen.getByLabelText(/^Redis password/), 'r3dis-pw');
    await user.type(screen.getByLabelText(/^Redis key prefix/), 'prod:');
    await user.type(screen.getByLabelText(/^Redis CA file/), '/etc/grafana/redis-ca.pem');
    const last = lastCall<Settings>(onOptionsChange);
    expect(last.jsonData).toEqual({
      authType: 'default',
      resultCacheRedisUrl: 'rediss://redis.example:6380/0',
      resultCacheRedisUser: 'grafana',
      resultCacheRedisPrefix: 'prod:',
      resultCacheRedisCaFile: '/etc/grafana/redis-ca.pem',
    });
    expect(last.secureJsonData).toEqual({ resultCacheRedisPassword: 'r3dis-pw' });
    expect(JSON.stringify(last.jsonData)).not.toContain('r3dis-pw');
    expect(screen.queryByTestId('redis-url-password-warning')).not.toBeInTheDocument();
  });

  it('resets a configured Redis password the Grafana way', async () => {
    const onOptionsChange = renderEditor(
      settings({ authType: 'default' as any, resultCacheRedisUrl: 'redis://r:6379/0' }, { resultCacheRedisPassword: true })
    );
    expect(screen.getByLabelText(/^Redis password/)).toBeDisabled();
    expect(screen.getByLabelText(/^Redis password/)).toHaveValue('configured');
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /reset/i }));
    const last = lastCall<Settings>(onOptionsChange);
    expect(last.secureJsonFields.resultCacheRedisPassword).toBe(false);
    expect(last.secureJsonData?.resultCacheRedisPassword).toBe('');
    const input = screen.getByLabelText(/^Redis password/);
    expect(input).toBeEnabled();
    await user.type(input, 'n3w');
    expect(lastCall<Settings>(onOptionsChange).secureJsonData).toEqual({ resultCacheRedisPassword: 'n3w' });
  });

  it('warns when the Redis URL holds a password, which the backend ignores', async () => {
    renderEditor(settings({ authType: 'default' as any }));
    await openSection();
    await userEvent.setup().type(screen.getByLabelText(/^Redis URL/), 'redis://grafana:hunter2@r:6379/0');
    expect(screen.getByTestId('redis-url-password-warning')).toHaveTextContent(/ignores a Redis URL holding a password/);
  });

  it('reads Redis URLs the way the backend does', () => {
    expect(redisUrlProblems('redis://grafana@r:6379/0', '')).toEqual({ passwordInUrl: false });
    expect(redisUrlProblems('redis://grafana:@r:6379/0', '').passwordInUrl).toBe(true);
    expect(redisUrlProblems('REDISS://r:6380/0', '/ca.pem')).toEqual({ passwordInUrl: false });
    expect(redisUrlProblems('http://r:6379', '').problem).toMatch(/redis:\/\/host:port\/db/);
    expect(redisUrlProblems('redis://:6379', '').problem).toMatch(/redis:\/\/host:port\/db/);
    expect(redisUrlProblems('redis://r:6379/0', '/ca.pem').problem).toMatch(/rediss:\/\//);
    expect(redisUrlProblems('', '')).toEqual({ passwordInUrl: false });
  });
});
