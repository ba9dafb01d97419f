import { CoreApp, DataSourceInstanceSettings, MetricFindValue, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import {
  AnyCloudWatchQuery,
  CloudWatchAnnotationQuery,
  CloudWatchJsonData,
  CloudWatchLogsQuery,
  CloudWatchQuery,
  DEFAULT_QUERY,
  DimensionFilters,
  Dimensions,
  LogGroup,
  LogsQueryLanguage,
  MetricEditorMode,
  MetricQueryType,
  MultiFilters,
} from './types';
import { CloudWatchAnnotationSupport } from './components/annotations/annotationSupport';
import type { LogGroupItem } from './migrations';
import { CloudWatchVariableSupport } from './variables';

type ResourceItem<T> = { value: T; label?: string; text?: string };

/** `accounts` resource item (cross-account observability). */
export interface Account {
  id: string;
  arn: string;
  label: string;
  isMonitoringAccount: boolean;
}

/** Options shared by the resource helpers. */
export interface ResourceOptions {
  /** Cross-account observability: an account id or `all`; sent only when set. */
  accountId?: string;
  /**
   * Send the region `default` as is, for the backend to resolve (variable queries). Otherwise (the editors) it
   * becomes the data source's configured default region when the frontend knows it.
   */
  keepDefaultRegion?: boolean;
}

/**
 * A logs query runs with an expression and at least one log group (ARN list or legacy names); OpenSearch SQL names
 * its log groups in the query text, so it needs none. Grafana CloudWatch skips the same queries.
 */
export function isCompleteLogsQuery(query: Partial<CloudWatchLogsQuery>): boolean {
  if (!query.expression?.trim()) {
    return false;
  }
  return query.queryLanguage === LogsQueryLanguage.SQL || !!query.logGroups?.length || !!query.logGroupNames?.length;
}

/** True when the query carries enough information for the backend to run it. */
export function isCompleteQuery(query: Partial<CloudWatchQuery>): boolean {
  const mode = (query as Partial<AnyCloudWatchQuery> | undefined)?.queryMode;
  if (mode === 'Logs') {
    return isCompleteLogsQuery(query as Partial<CloudWatchLogsQuery>);
  }
  if (mode === 'Annotations') {
    // Checked before it gets here, by the annotation support's prepareQuery.
    return true;
  }
  if (!query || !query.region) {
    return false;
  }
  if (query.metricQueryType === MetricQueryType.Insights) {
    return !!query.sqlExpression?.trim();
  }
  if (query.metricEditorMode === MetricEditorMode.Code) {
    return !!query.expression?.trim();
  }
  return !!query.namespace && !!query.metricName && !!query.statistic;
}

function templateSrv() {
  try {
    return getTemplateSrv();
  } catch {
    return undefined;
  }
}

export function interpolate(value: string | undefined, scopedVars?: ScopedVars): string | undefined {
  const srv = templateSrv();
  if (value === undefined || value === null || !srv) {
    return value;
  }
  return srv.replace(String(value), scopedVars);
}

// Joins the values of a multi-value variable so that they can be split apart again.
const LIST_SEPARATOR = '\u001f';

/**
 * Interpolate one filter value into a list: a multi-value variable (or "All") gives one entry per value,
 * like Grafana CloudWatch does for dimension, EC2 filter and tag values.
 */
export function interpolateList(value: string, scopedVars?: ScopedVars): string[] {
  const srv = templateSrv();
  if (!srv) {
    return [value];
  }
  const format = (v: unknown) => (Array.isArray(v) ? v.join(LIST_SEPARATOR) : String(v));
  const joined = srv.replace(value, scopedVars, format);
  return joined.split(LIST_SEPARATOR);
}

/** Filters `{key: value | [values]}` with variables interpolated in keys and values → `{key: [values]}`. */
export function interpolateFilters(
  filters: DimensionFilters | MultiFilters | undefined,
  scopedVars?: ScopedVars
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, raw] of Object.entries(filters ?? {})) {
    const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
    out[interpolate(key, scopedVars) ?? key] = values.flatMap((v) => interpolateList(String(v), scopedVars));
  }
  return out;
}

export class DataSource extends DataSourceWithBackend<CloudWatchQuery, CloudWatchJsonData> {
  defaultRegion?: string;

  constructor(instanceSettings: DataSourceInstanceSettings<CloudWatchJsonData>) {
    super(instanceSettings);
    this.defaultRegion = instanceSettings.jsonData?.defaultRegion;
    this.variables = new CloudWatchVariableSupport(this);
    this.annotations = CloudWatchAnnotationSupport;
  }

  getDefaultQuery(_app: CoreApp): Partial<CloudWatchQuery> {
    return { ...DEFAULT_QUERY, dimensions: {} };
  }

  filterQuery(query: CloudWatchQuery): boolean {
    return isCompleteQuery(query);
  }

  applyTemplateVariables(query: CloudWatchQuery, scopedVars: ScopedVars): CloudWatchQuery {
    const mode = (query as AnyCloudWatchQuery).queryMode;
    if (mode === 'Logs') {
      return interpolateLogsQuery(query as unknown as CloudWatchLogsQuery, scopedVars) as unknown as CloudWatchQuery;
    }
    if (mode === 'Annotations') {
      return interpolateAnnotationQuery(query as unknown as CloudWatchAnnotationQuery, scopedVars) as unknown as CloudWatchQuery;
    }
    const dimensions: Dimensions = {};
    for (const [key, values] of Object.entries(query.dimensions ?? {})) {
      const list = Array.isArray(values) ? values : [values as unknown as string];
      dimensions[interpolate(key, scopedVars) ?? key] = list.map((v) => interpolate(v, scopedVars) ?? v);
    }
    return {
      ...query,
      region: interpolate(query.region, scopedVars) ?? 'default',
      namespace: interpolate(query.namespace, scopedVars) ?? '',
      metricName: interpolate(query.metricName, scopedVars),
      statistic: interpolate(query.statistic, scopedVars),
      period: interpolate(query.period === undefined || query.period === null ? '' : String(query.period), scopedVars),
      label: interpolate(query.label, scopedVars),
      expression: interpolate(query.expression, scopedVars),
      sqlExpression: interpolate(query.sqlExpression, scopedVars),
      dimensions,
    };
  }

  /** Resolve "default" and template variables before asking the backend for options. */
  resolveRegion(region?: string): string {
    const r = interpolate(region || 'default') || 'default';
    return r === 'default' && this.defaultRegion ? this.defaultRegion : r;
  }

  /** `region` (and `accountId` when set) parameters of a resource request. */
  private scopeParams(region: string | undefined, options: ResourceOptions = {}): Record<string, string> {
    const params: Record<string, string> = {
      region: options.keepDefaultRegion ? interpolate(region || 'default') || 'default' : this.resolveRegion(region),
    };
    const accountId = interpolate(options.accountId);
    if (accountId) {
      params.accountId = accountId;
    }
    return params;
  }

  private async list<T>(path: string, params?: Record<string, string>): Promise<Array<ResourceItem<T>>> {
    const res = await this.getResource(path, params);
    return Array.isArray(res) ? res : [];
  }

  /** Routes answering `[{text, value, label}]` (ebs-volume-ids, ec2-instance-attribute, resource-arns). */
  private async listTextValues(path: string, params: Record<string, string>): Promise<MetricFindValue[]> {
    const items = await this.list<string>(path, params);
    return items
      .filter((i) => i && i.value !== undefined && i.value !== null)
      .map((i) => ({ text: String(i.label ?? i.text ?? i.value), value: i.value }));
  }

  /** The `regions` route: the partition's regions from botocore's endpoint data. A failure is the caller's to show. */
  async getRegions(): Promise<string[]> {
    const items = await this.list<{ name: string }>('regions');
    return items.map((i) => i.value?.name).filter((n): n is string => !!n);
  }

  async getNamespaces(): Promise<string[]> {
    const items = await this.list<string>('namespaces');
    return items.map((i) => i.value).filter(Boolean);
  }

  async getMetrics(region: string, namespace: string, options?: ResourceOptions): Promise<string[]> {
    if (!namespace) {
      return [];
    }
    const items = await this.list<{ name: string; namespace: string }>('metrics', {
      ...this.scopeParams(region, options),
      namespace: interpolate(namespace) ?? namespace,
    });
    return items.map((i) => i.value?.name).filter(Boolean);
  }

  async getDimensionKeys(
    region: string,
    namespace: string,
    metricName: string | undefined,
    dimensionFilters: Dimensions | DimensionFilters = {},
    options?: ResourceOptions
  ): Promise<string[]> {
    if (!namespace) {
      return [];
    }
    const items = await this.list<string>('dimension-keys', {
      ...this.scopeParams(region, options),
      namespace: interpolate(namespace) ?? namespace,
      metricName: interpolate(metricName) ?? '',
      dimensionFilters: JSON.stringify(interpolateFilters(dimensionFilters)),
    });
    return items.map((i) => i.value).filter(Boolean);
  }

  async getDimensionValues(
    region: string,
    namespace: string,
    metricName: string | undefined,
    dimensionKey: string,
    dimensionFilters: Dimensions | DimensionFilters = {},
    options?: ResourceOptions
  ): Promise<string[]> {
    if (!namespace || !dimensionKey) {
      return [];
    }
    const items = await this.list<string>('dimension-values', {
      ...this.scopeParams(region, options),
      namespace: interpolate(namespace) ?? namespace,
      metricName: interpolate(metricName) ?? '',
      dimensionKey: interpolate(dimensionKey) ?? dimensionKey,
      dimensionFilters: JSON.stringify(interpolateFilters(dimensionFilters)),
    });
    return items.map((i) => i.value).filter(Boolean);
  }

  /** Cross-account observability: the monitoring account and its source accounts; [] when there are none. */
  async getAccounts(region: string, options?: ResourceOptions): Promise<Account[]> {
    const items = await this.list<Account>('accounts', this.scopeParams(region, options));
    return items.map((i) => i.value).filter((a) => !!a?.id);
  }

  /**
   * Log groups from the `log-groups` route (DescribeLogGroups). The picker searches like Grafana's:
   * `logGroupPattern` + `listAllLogGroups=true` (+ `accountId`, `all` = every linked account); the legacy-name
   * migration looks names up with `logGroupNamePrefix`.
   */
  async getLogGroups(
    region: string,
    search: { logGroupPattern?: string; logGroupNamePrefix?: string; listAllLogGroups?: boolean },
    options?: ResourceOptions
  ): Promise<LogGroupItem[]> {
    const params: Record<string, string> = { ...this.scopeParams(region, options) };
    if (search.logGroupPattern !== undefined) {
      params.logGroupPattern = search.logGroupPattern;
    }
    if (search.logGroupNamePrefix !== undefined) {
      params.logGroupNamePrefix = search.logGroupNamePrefix;
    }
    params.listAllLogGroups = search.listAllLogGroups ? 'true' : 'false';
    const res = await this.getResource('log-groups', params);
    return (Array.isArray(res) ? res : []).filter((i: LogGroupItem) => !!i?.value?.arn);
  }

  /** Fields discovered in a log group (`log-group-fields`, GetLogGroupFields): `[{ name, percent }]`. */
  async getLogGroupFields(region: string, logGroupName: string): Promise<Array<{ name: string; percent: number }>> {
    const items = await this.list<{ name: string; percent: number }>('log-group-fields', {
      region: this.resolveRegion(region),
      logGroupName: interpolate(logGroupName) ?? logGroupName,
    });
    return items.map((i) => i.value).filter((f) => !!f?.name);
  }

  /** True when a dashboard variable of that name exists (`$name`, `${name}`, `[[name]]`). */
  isVariable(value: string): boolean {
    const name = /^\$\{?(\w+)|^\[\[(\w+)/.exec(value ?? '');
    const wanted = name?.[1] ?? name?.[2];
    return !!wanted && this.getVariables().includes(`$${wanted}`);
  }

  /** EBS volume ids attached to an instance; `instanceId` may be `{i-1,i-2}` (a multi-value variable). */
  getEbsVolumeIds(region: string, instanceId: string, options?: ResourceOptions): Promise<MetricFindValue[]> {
    return this.listTextValues('ebs-volume-ids', {
      ...this.scopeParams(region, options),
      instanceId: interpolate(instanceId) ?? '',
    });
  }

  /** An attribute (or `Tags.<name>`) of the EC2 instances matching DescribeInstances `filters`. */
  getEc2InstanceAttribute(
    region: string,
    attributeName: string,
    filters: MultiFilters = {},
    options?: ResourceOptions
  ): Promise<MetricFindValue[]> {
    return this.listTextValues('ec2-instance-attribute', {
      ...this.scopeParams(region, options),
      attributeName: interpolate(attributeName) ?? '',
      filters: JSON.stringify(interpolateFilters(filters)),
    });
  }

  /** ARNs of the resources of `resourceType` (e.g. `ec2:instance`) carrying `tags`. */
  getResourceArns(
    region: string,
    resourceType: string,
    tags: MultiFilters = {},
    options?: ResourceOptions
  ): Promise<MetricFindValue[]> {
    return this.listTextValues('resource-arns', {
      ...this.scopeParams(region, options),
      resourceType: interpolate(resourceType) ?? '',
      tags: JSON.stringify(interpolateFilters(tags)),
    });
  }

  /** Dashboard template variable names, offered in option lists. */
  getVariables(): string[] {
    const srv = templateSrv();
    try {
      return (srv?.getVariables() ?? []).map((v) => `$${v.name}`);
    } catch {
      return [];
    }
  }
}

/**
 * Variables in a logs query, like Grafana CloudWatch: the expression; each log group ARN and legacy name, where a
 * multi-value variable gives one entry per value (duplicates dropped: StartQuery refuses a log group twice);
 * the region (`default` stays for the backend to resolve).
 */
export function interpolateLogsQuery(query: CloudWatchLogsQuery, scopedVars: ScopedVars): CloudWatchLogsQuery {
  const expand = (values: string[]) => Array.from(new Set(values.flatMap((v) => interpolateList(v, scopedVars))));
  const arns = expand((query.logGroups ?? []).map((g: LogGroup) => g.arn));
  const out: CloudWatchLogsQuery = {
    ...query,
    region: interpolate(query.region, scopedVars) || 'default',
    expression: interpolate(query.expression ?? '', scopedVars),
    logGroups: arns.map((arn) => ({ arn, name: arn })),
  };
  if (query.logGroupNames) {
    out.logGroupNames = expand(query.logGroupNames);
  }
  return out;
}

/**
 * Variables in an alarm annotation query, and the fields Grafana CloudWatch always sends with one (`period` "",
 * prefixes "" when unset, `type: "annotationQuery"`).
 */
export function interpolateAnnotationQuery(
  query: CloudWatchAnnotationQuery,
  scopedVars: ScopedVars
): CloudWatchAnnotationQuery & { type: string } {
  return {
    ...query,
    region: interpolate(query.region, scopedVars) || 'default',
    namespace: interpolate(query.namespace, scopedVars) ?? '',
    metricName: interpolate(query.metricName, scopedVars),
    statistic: interpolate(query.statistic, scopedVars),
    dimensions: interpolateFilters(query.dimensions, scopedVars),
    period: query.period ?? '',
    actionPrefix: query.actionPrefix ?? '',
    alarmNamePrefix: query.alarmNamePrefix ?? '',
    type: 'annotationQuery',
  };
}
