import React, { useEffect, useState } from 'react';
import {
  onUpdateDatasourceJsonDataOption,
  onUpdateDatasourceJsonDataOptionChecked,
  onUpdateDatasourceSecureJsonDataOption,
} from '@grafana/data';
import { ConfigSection } from '@grafana/plugin-ui';
import { Alert, Box, InlineField, InlineSwitch, Input, SecretInput, Stack, Text } from '@grafana/ui';

import { CloudWatchJsonData, CloudWatchSecureJsonData } from '../types';
import type { ConfigEditorProps } from './ConfigEditor';
import { resetSecret } from './secrets';

type NumberKey = {
  [K in keyof CloudWatchJsonData]-?: NonNullable<CloudWatchJsonData[K]> extends number ? K : never;
}[keyof CloudWatchJsonData];

/**
 * One numeric jsonData setting and the backend's rule for it (src/cloudwatch_datasource/settings.py): the cache
 * numbers are `_CACHE_NUMBERS` (a value outside fails every query of the data source with a settings error, so the
 * editor never stores one), the pacing rates `_rate` (at least 0, 0 = no limit), the Redis timeout
 * `_redis_cache` (1 to 5,000 ms; an unusable Redis setting makes the backend use its in-process cache instead).
 */
export interface NumberSpec {
  key: NumberKey;
  label: string;
  /** What an empty field means, shown as the placeholder. */
  placeholder: string;
  min: number;
  max?: number;
  /** The backend's rule, shown when the text breaks it. */
  rule: string;
  tooltip: string;
}

export const CACHE_FIELDS: NumberSpec[] = [
  {
    key: 'cacheTTLSeconds',
    label: 'Cache TTL (s)',
    placeholder: '30',
    min: 0,
    max: 86400,
    rule: 'a number of seconds from 0 to 86400',
    tooltip:
      'Default 30. How old an answer served from the result cache may be. Longer means fewer GetMetricData calls ' +
      '(and a smaller bill) but staler panels; 0 turns the cache and incremental refresh off (every refresh calls ' +
      'AWS). Alert evaluations never use the cache.',
  },
  {
    key: 'cacheMaxMB',
    label: 'Cache size (MB)',
    placeholder: '64',
    min: 1,
    max: 16384,
    rule: 'a number of megabytes from 1 to 16384',
    tooltip:
      "Default 64. Memory this data source's in-process cache may take (least recently used answers are dropped " +
      'first; all data sources together stay below 256 MB). Bigger keeps more answers, so fewer calls, for more memory.',
  },
  {
    key: 'cacheLateDataSeconds',
    label: 'Late data overlap (s)',
    placeholder: '300',
    min: 60,
    max: 86400,
    rule: 'a number of seconds from 60 to 86400',
    tooltip:
      'Default 300. The most recent part of a window that is always fetched again, because CloudWatch data can ' +
      'arrive minutes late. Longer catches later data but fetches more datapoints on each incremental refresh.',
  },
  {
    key: 'cacheFullRefreshSeconds',
    label: 'Full refresh after (s)',
    placeholder: '600',
    min: 0,
    max: 86400,
    rule: 'a number of seconds from 0 to 86400',
    tooltip:
      'Default 600. The oldest a kept part of a window may get before the whole window is fetched again (picking ' +
      'up data that arrived later than the overlap). Shorter is fresher but fetches more datapoints; 0 always ' +
      'fetches whole windows.',
  },
];

export const PACING_FIELDS: NumberSpec[] = [
  {
    key: 'getMetricDataCallsPerSecond',
    label: 'GetMetricData calls/s',
    placeholder: "server's (40)",
    min: 0,
    rule: 'a number of at least 0 (0: no limit)',
    tooltip:
      "Default: the Grafana server's [plugin.pyaws-cloudwatch-datasource] getmetricdata_calls_per_second (40, 80% " +
      "of AWS's 50 per account and region). Calls above it wait in a queue instead of being throttled by AWS; a " +
      "lower value leaves more of the quota to other tools but panels may wait. 0: no limit.",
  },
  {
    key: 'getMetricDataDatapointsPerSecond',
    label: 'Datapoints/s (last 3 h)',
    placeholder: "server's (144000)",
    min: 0,
    rule: 'a number of at least 0 (0: no limit)',
    tooltip:
      "Default: the server's getmetricdata_datapoints_per_second (144,000, 80% of AWS's 180,000 for a StartTime " +
      'within three hours). Lower leaves more quota to other tools; panels may wait. 0: no limit.',
  },
  {
    key: 'getMetricDataHistoricDatapointsPerSecond',
    label: 'Datapoints/s (older)',
    placeholder: "server's (316800)",
    min: 0,
    rule: 'a number of at least 0 (0: no limit)',
    tooltip:
      "Default: the server's getmetricdata_historic_datapoints_per_second (316,800, 80% of AWS's 396,000 for a " +
      'StartTime more than three hours back). Lower leaves more quota to other tools; panels may wait. 0: no limit.',
  },
];

export const REDIS_TIMEOUT_FIELD: NumberSpec = {
  key: 'resultCacheRedisTimeoutMs',
  label: 'Redis timeout (ms)',
  placeholder: '250',
  min: 1,
  max: 5000,
  rule: 'a number of milliseconds from 1 to 5000',
  tooltip:
    'Default 250. Connect and read timeout of each Redis command. Redis never fails a query: a slower answer is a ' +
    'cache miss (one more GetMetricData call). Longer tolerates a slow Redis but can add that much to a panel.',
};

// A plain decimal number, as a person types it (Number() would also take "0x10", "Infinity" or " ").
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The number in `text`, undefined for an empty field (the default), NaN for text that is not a number. */
export function parseSetting(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  return DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
}

/** The message for `text` breaking the backend's rule of `spec`, or undefined when it may be stored. */
export function validateSetting(spec: NumberSpec, text: string): string | undefined {
  const value = parseSetting(text);
  if (value === undefined) {
    return undefined;
  }
  if (!Number.isFinite(value) || value < spec.min || (spec.max !== undefined && value > spec.max)) {
    return `Must be ${spec.rule}. Not saved until it is: the data source keeps its previous value.`;
  }
  return undefined;
}

/**
 * What keeps the backend from using a Redis URL (settings.py `_redis_cache`): it then logs why and uses the
 * in-process cache. `passwordInUrl` is read the way the backend finds one (user info with a colon, even an empty
 * password), by plain splitting so that a URL the URL parser refuses is still checked.
 */
export function redisUrlProblems(url: string, caFile: string): { passwordInUrl: boolean; problem?: string } {
  const trimmed = url.trim();
  if (!trimmed) {
    return { passwordInUrl: false };
  }
  const authority = (trimmed.split('://')[1] ?? trimmed).split('/')[0];
  const at = authority.lastIndexOf('@');
  const passwordInUrl = at >= 0 && authority.slice(0, at).includes(':');
  const scheme = trimmed.includes('://') ? trimmed.split('://')[0].toLowerCase() : '';
  const host = authority.slice(at + 1).replace(/:\d*$/, '');
  if ((scheme !== 'redis' && scheme !== 'rediss') || !host) {
    return { passwordInUrl, problem: 'Must be redis://host:port/db, or rediss://host:port/db for TLS.' };
  }
  if (caFile.trim() && scheme !== 'rediss') {
    return { passwordInUrl, problem: 'A CA file needs a rediss:// (TLS) URL.' };
  }
  return { passwordInUrl };
}

const LABEL_WIDTH = 28;

function NumberSetting({ spec, props }: { spec: NumberSpec; props: ConfigEditorProps }) {
  const { options, onOptionsChange } = props;
  const stored = options.jsonData?.[spec.key] as number | string | undefined;
  const storedText = stored === undefined || stored === null ? '' : String(stored);
  const [text, setText] = useState(storedText);
  // Follow a change made elsewhere, but keep the text being typed while it still means the stored value ("1." is 1).
  useEffect(() => {
    setText((current) => (parseSetting(current) === parseSetting(storedText) ? current : storedText));
  }, [storedText]);
  const error = validateSetting(spec, text);

  const onChange = (event: React.ChangeEvent<HTMLInputElement>) => {
    const next = event.currentTarget.value;
    setText(next);
    if (validateSetting(spec, next)) {
      return;
    }
    // Stored as a JSON number; an empty field removes the key, which is the default (an empty string would not be).
    const jsonData = { ...options.jsonData };
    const value = parseSetting(next);
    if (value === undefined) {
      delete jsonData[spec.key];
    } else {
      jsonData[spec.key] = value;
    }
    onOptionsChange({ ...options, jsonData });
  };

  return (
    <InlineField
      label={spec.label}
      labelWidth={LABEL_WIDTH}
      tooltip={spec.tooltip}
      htmlFor={spec.key}
      invalid={!!error}
      error={error}
    >
      <Input id={spec.key} width={24} inputMode="decimal" placeholder={spec.placeholder} value={text} onChange={onChange} />
    </InlineField>
  );
}

/** A free-text jsonData setting of the Redis cache; an empty field is the default. */
interface TextSpec {
  key: 'resultCacheRedisUser' | 'resultCacheRedisPrefix' | 'resultCacheRedisCaFile';
  label: string;
  placeholder?: string;
  tooltip: string;
}

const REDIS_TEXT_FIELDS: TextSpec[] = [
  { key: 'resultCacheRedisUser', label: 'Redis user', tooltip: 'Optional. A Redis 6 ACL user name.' },
  {
    key: 'resultCacheRedisPrefix',
    label: 'Redis key prefix',
    placeholder: 'grafana-cloudwatch:',
    tooltip: 'Default grafana-cloudwatch:. Put before every key; use one per Grafana installation sharing a Redis.',
  },
  {
    key: 'resultCacheRedisCaFile',
    label: 'Redis CA file',
    placeholder: 'system CAs',
    tooltip:
      "Default: the system CAs. A PEM file on each Grafana server with the CA that signed Redis's certificate; " +
      'rediss:// only.',
  },
];

function TextSetting({ spec, props }: { spec: TextSpec; props: ConfigEditorProps }) {
  return (
    <InlineField label={spec.label} labelWidth={LABEL_WIDTH} tooltip={spec.tooltip} htmlFor={spec.key}>
      <Input
        id={spec.key}
        width={48}
        placeholder={spec.placeholder}
        value={props.options.jsonData?.[spec.key] ?? ''}
        onChange={onUpdateDatasourceJsonDataOption(props, spec.key)}
      />
    </InlineField>
  );
}

const CACHING_KEYS: Array<keyof CloudWatchJsonData> = [
  ...CACHE_FIELDS.map((f) => f.key),
  ...PACING_FIELDS.map((f) => f.key),
  'cacheIncremental',
  'resultCacheRedisUrl',
  ...REDIS_TEXT_FIELDS.map((f) => f.key),
  REDIS_TIMEOUT_FIELD.key,
];

/**
 * "Cost and caching": the result cache, GetMetricData pacing and the shared Redis cache of docs/queries.md, under
 * the jsonData / secureJsonData keys the backend reads (settings.py). Collapsed unless one of them is set.
 */
export function CachingSettings(props: ConfigEditorProps) {
  const { options } = props;
  const jsonData = options.jsonData ?? {};
  const secureJsonFields = options.secureJsonFields ?? {};
  const secureJsonData = (options.secureJsonData ?? {}) as CloudWatchSecureJsonData;
  const anySet =
    CACHING_KEYS.some((k) => jsonData[k] !== undefined && jsonData[k] !== '') || !!secureJsonFields.resultCacheRedisPassword;
  const redis = redisUrlProblems(jsonData.resultCacheRedisUrl ?? '', jsonData.resultCacheRedisCaFile ?? '');

  return (
    <Box marginTop={4} data-testid="caching-settings">
      <ConfigSection
        title="Cost and caching"
        description="Fewer GetMetricData calls for slightly older data, pacing below AWS's quotas, and a Redis cache shared by several Grafana servers. Empty fields use the default shown."
        isCollapsible
        isInitiallyOpen={anySet}
      >
        <Stack direction="column" gap={0}>
          <Box marginTop={1} marginBottom={0.5}>
            <Text variant="h6">Result cache</Text>
          </Box>
          {CACHE_FIELDS.slice(0, 2).map((spec) => (
            <NumberSetting key={spec.key} spec={spec} props={props} />
          ))}
          <InlineField
            label="Incremental refresh"
            labelWidth={LABEL_WIDTH}
            tooltip="Default on. A relative range refreshed again fetches only its new periods plus the late-data overlap and reuses the rest. Saves datapoints and latency, not money (AWS bills the metrics requested); off fetches whole windows."
            htmlFor="cacheIncremental"
          >
            <InlineSwitch
              id="cacheIncremental"
              value={jsonData.cacheIncremental ?? true}
              onChange={onUpdateDatasourceJsonDataOptionChecked(props, 'cacheIncremental')}
            />
          </InlineField>
          {CACHE_FIELDS.slice(2).map((spec) => (
            <NumberSetting key={spec.key} spec={spec} props={props} />
          ))}

          <Box marginTop={1} marginBottom={0.5}>
            <Text variant="h6">Pacing below AWS&apos;s GetMetricData quotas</Text>
          </Box>
          {PACING_FIELDS.map((spec) => (
            <NumberSetting key={spec.key} spec={spec} props={props} />
          ))}

          <Box marginTop={1} marginBottom={0.5}>
            <Text variant="h6">Shared result cache in Redis (Grafana HA)</Text>
          </Box>
          <InlineField
            label="Redis URL"
            labelWidth={LABEL_WIDTH}
            tooltip="Default none: each Grafana server keeps its own in-process cache. With several Grafana servers, one Redis lets them share answers, so a dashboard costs the calls of one server. No password here: jsonData is not secret."
            htmlFor="resultCacheRedisUrl"
            invalid={!!redis.problem}
            error={redis.problem}
          >
            <Input
              id="resultCacheRedisUrl"
              width={48}
              placeholder="redis://host:6379/0 (none: in-process cache)"
              value={jsonData.resultCacheRedisUrl ?? ''}
              onChange={onUpdateDatasourceJsonDataOption(props, 'resultCacheRedisUrl')}
            />
          </InlineField>
          {redis.passwordInUrl && (
            <Alert severity="warning" title="Password in the Redis URL" data-testid="redis-url-password-warning">
              The backend ignores a Redis URL holding a password (jsonData is stored unencrypted) and uses the
              in-process cache. Remove it from the URL and put it in Redis password.
            </Alert>
          )}
          <TextSetting spec={REDIS_TEXT_FIELDS[0]} props={props} />
          <InlineField
            label="Redis password"
            labelWidth={LABEL_WIDTH}
            tooltip="Optional. requirepass, or the ACL user's password. Stored encrypted."
            htmlFor="resultCacheRedisPassword"
          >
            <SecretInput
              id="resultCacheRedisPassword"
              width={48}
              isConfigured={!!secureJsonFields.resultCacheRedisPassword}
              value={secureJsonData.resultCacheRedisPassword ?? ''}
              onChange={onUpdateDatasourceSecureJsonDataOption(props, 'resultCacheRedisPassword')}
              onReset={() => resetSecret(props, 'resultCacheRedisPassword')}
            />
          </InlineField>
          {REDIS_TEXT_FIELDS.slice(1).map((spec) => (
            <TextSetting key={spec.key} spec={spec} props={props} />
          ))}
          <NumberSetting spec={REDIS_TIMEOUT_FIELD} props={props} />
        </Stack>
      </ConfigSection>
    </Box>
  );
}
