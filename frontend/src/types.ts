import { DataQuery } from '@grafana/schema';
import { AwsAuthDataSourceJsonData, AwsAuthDataSourceSecureJsonData } from '@grafana/aws-sdk';

import type { SQLExpression } from './components/sql/expressions';

/** Auth methods supported by the Python backend (jsonData.authType). */
export const AUTH_TYPES = ['default', 'keys', 'credentials', 'ec2_iam_role'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export const AUTH_TYPE_LABELS: Record<AuthType, string> = {
  default: 'AWS SDK Default',
  keys: 'Access & secret key',
  credentials: 'Credentials file',
  ec2_iam_role: 'Workspace IAM Role',
};

/**
 * jsonData.proxyType: Grafana's per-data source HTTP proxy for AWS (same names as Grafana's CloudWatch).
 * `env` (default, also when unset) = HTTP(S)_PROXY of the server, `none` = direct, `url` = jsonData.proxyUrl with
 * jsonData.proxyUsername + secureJsonData.proxyPassword. Applied only when the Grafana server enables it.
 */
export type ProxyType = NonNullable<AwsAuthDataSourceJsonData['proxyType']>;
export const DEFAULT_PROXY_TYPE: ProxyType = 'env';

/**
 * jsonData stored by the config editor (key names are read by the backend). From AwsAuthDataSourceJsonData:
 * authType, profile, assumeRoleArn, externalId, endpoint, defaultRegion, proxyType, proxyUrl, proxyUsername.
 */
export interface CloudWatchJsonData extends AwsAuthDataSourceJsonData {
  /** Comma-separated list of custom metric namespaces. */
  customMetricsNamespaces?: string;
  /** Result cache, pacing and shared Redis cache (docs/queries.md; parsed by the backend's settings.py). */
  cacheTTLSeconds?: number;
  cacheMaxMB?: number;
  cacheIncremental?: boolean;
  cacheLateDataSeconds?: number;
  cacheFullRefreshSeconds?: number;
  getMetricDataCallsPerSecond?: number;
  getMetricDataDatapointsPerSecond?: number;
  getMetricDataHistoricDatapointsPerSecond?: number;
  resultCacheRedisUrl?: string;
  resultCacheRedisUser?: string;
  resultCacheRedisPrefix?: string;
  resultCacheRedisCaFile?: string;
  resultCacheRedisTimeoutMs?: number;
}

/** secureJsonData stored by the config editor. */
export interface CloudWatchSecureJsonData extends AwsAuthDataSourceSecureJsonData {
  accessKey?: string;
  secretKey?: string;
  sessionToken?: string;
  proxyPassword?: string;
  resultCacheRedisPassword?: string;
}

export enum MetricQueryType {
  Search = 0,
  Insights = 1,
}

export enum MetricEditorMode {
  Builder = 0,
  Code = 1,
}

export type Dimensions = Record<string, string[]>;

/** Same JSON shape as Grafana's built-in CloudWatch metrics query. */
export interface CloudWatchQuery extends DataQuery {
  queryMode: 'Metrics';
  region: string;
  namespace: string;
  metricName?: string;
  dimensions?: Dimensions;
  matchExact?: boolean;
  statistic?: string;
  /** "" or "auto" = auto; otherwise seconds as a string, e.g. "300". */
  period?: string;
  label?: string;
  id: string;
  expression?: string;
  sqlExpression?: string;
  /** Metrics Insights builder model (Grafana's `sql` field); `sqlExpression` is what the backend runs. */
  sql?: SQLExpression;
  /** Cross-account observability: a source account id, or `all`. */
  accountId?: string;
  metricQueryType?: MetricQueryType;
  metricEditorMode?: MetricEditorMode;
}

export const DEFAULT_QUERY: Omit<CloudWatchQuery, 'refId'> = {
  queryMode: 'Metrics',
  region: 'default',
  namespace: '',
  metricName: '',
  dimensions: {},
  matchExact: true,
  statistic: 'Average',
  period: '',
  id: '',
  expression: '',
  sqlExpression: '',
  metricQueryType: MetricQueryType.Search,
  metricEditorMode: MetricEditorMode.Builder,
};

export const STANDARD_STATISTICS = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount', 'p99', 'p95', 'p90', 'p50'];

/** Template-variable ("Query" variable) query types: the values of Grafana CloudWatch's `VariableQueryType`. */
export enum VariableQueryType {
  Regions = 'regions',
  Namespaces = 'namespaces',
  Metrics = 'metrics',
  DimensionKeys = 'dimensionKeys',
  DimensionValues = 'dimensionValues',
  EBSVolumeIDs = 'ebsVolumeIDs',
  EC2InstanceAttributes = 'ec2InstanceAttributes',
  ResourceArns = 'resourceARNs',
  Statistics = 'statistics',
  Accounts = 'accounts',
  LogGroups = 'logGroups',
}

/** Filter name → values (EC2 DescribeInstances filters, resource tags). */
export type MultiFilters = Record<string, string[] | undefined>;

/** Dimension filters as Grafana stores them: one value (legacy) or a list. */
export type DimensionFilters = Record<string, string | string[]>;

/** Same JSON shape as Grafana CloudWatch's `VariableQuery`. */
export interface VariableQuery extends DataQuery {
  queryType: VariableQueryType;
  region: string;
  namespace: string;
  metricName: string;
  dimensionKey: string;
  dimensionFilters?: DimensionFilters;
  ec2Filters?: MultiFilters;
  instanceID: string;
  attributeName: string;
  resourceType: string;
  tags?: MultiFilters;
  accountId?: string;
  /** `logGroups`: only the log groups whose name starts with this (Grafana CloudWatch's field name). */
  logGroupPrefix?: string;
}

/** Older object form: the filters were stored as JSON strings. */
export interface OldVariableQuery extends Omit<VariableQuery, 'dimensionFilters' | 'ec2Filters' | 'tags'> {
  dimensionFilters?: string;
  ec2Filters?: string;
  tags?: string;
}

export const VARIABLE_QUERY_REF_ID = 'CloudWatchVariableQueryEditor-VariableQuery';

export const DEFAULT_VARIABLE_QUERY: VariableQuery = {
  refId: VARIABLE_QUERY_REF_ID,
  queryType: VariableQueryType.Regions,
  region: 'default',
  namespace: '',
  metricName: '',
  dimensionKey: '',
  dimensionFilters: {},
  ec2Filters: {},
  instanceID: '',
  attributeName: '',
  resourceType: '',
  tags: {},
};

// ---- Logs Insights and alarm annotations: Grafana CloudWatch's `CloudWatchLogsQuery` / `CloudWatchAnnotationQuery`.

/** What a query asks for; Grafana CloudWatch's `CloudWatchQueryMode`. */
export type QueryMode = 'Metrics' | 'Logs' | 'Annotations';

/** The query languages StartQuery accepts (`queryLanguage`): Logs Insights QL, OpenSearch SQL, OpenSearch PPL. */
export enum LogsQueryLanguage {
  CWLI = 'CWLI',
  SQL = 'SQL',
  PPL = 'PPL',
}

/**
 * A selected log group. `arn` is what StartQuery gets (`logGroupIdentifiers`); a template variable is stored as
 * `{ name: '$var', arn: '$var' }` and expanded into ARNs when the query runs.
 */
export interface LogGroup {
  arn: string;
  name: string;
  accountId?: string;
  accountLabel?: string;
}

/** Same JSON shape as Grafana CloudWatch's Logs Insights query (`queryMode: "Logs"`). */
export interface CloudWatchLogsQuery extends DataQuery {
  queryMode: 'Logs';
  id: string;
  region: string;
  expression?: string;
  queryLanguage?: LogsQueryLanguage;
  logGroups?: LogGroup[];
  /** Older dashboards: log group names only (Grafana before cross-account log groups). */
  logGroupNames?: string[];
  /** The `by` fields of a `stats` command; a stats query is answered as time series. */
  statsGroups?: string[];
}

/** Same JSON shape as Grafana CloudWatch's alarm annotation query (`queryMode: "Annotations"`). */
export interface CloudWatchAnnotationQuery
  extends DataQuery,
    Pick<CloudWatchQuery, 'region' | 'namespace' | 'metricName' | 'dimensions' | 'matchExact' | 'statistic' | 'period'> {
  queryMode: 'Annotations';
  accountId?: string;
  /** Alarms by name/action prefix (DescribeAlarms) instead of by metric (DescribeAlarmsForMetric). */
  prefixMatching?: boolean;
  actionPrefix?: string;
  alarmNamePrefix?: string;
}

/** Any query of this data source, told apart by `queryMode`. */
export type AnyCloudWatchQuery = CloudWatchQuery | CloudWatchLogsQuery | CloudWatchAnnotationQuery;

/** Starting text of a new logs query, one per language (Grafana CloudWatch starts with the same queries). */
export const DEFAULT_LOGS_EXPRESSION: Record<LogsQueryLanguage, string> = {
  [LogsQueryLanguage.CWLI]: 'fields @timestamp, @message |\nsort @timestamp desc |\nlimit 20',
  [LogsQueryLanguage.SQL]: 'SELECT `@timestamp`, `@message`\nFROM `log_group`\nORDER BY `@timestamp` DESC\nLIMIT 25;',
  [LogsQueryLanguage.PPL]: 'fields `@timestamp`, `@message`\n| sort - `@timestamp`\n| head 25',
};

export const DEFAULT_LOGS_QUERY: Omit<CloudWatchLogsQuery, 'refId'> = {
  queryMode: 'Logs',
  id: '',
  region: 'default',
  logGroups: [],
  queryLanguage: LogsQueryLanguage.CWLI,
};

export const DEFAULT_ANNOTATION_QUERY: Omit<CloudWatchAnnotationQuery, 'refId'> = {
  queryMode: 'Annotations',
  namespace: '',
  region: 'default',
  statistic: 'Average',
};
