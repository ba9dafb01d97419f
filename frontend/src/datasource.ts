import { CoreApp, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import {
  CloudWatchJsonData,
  CloudWatchQuery,
  DEFAULT_QUERY,
  Dimensions,
  MetricEditorMode,
  MetricQueryType,
  STATIC_REGIONS,
} from './types';

type ResourceItem<T> = { value: T; label?: string; text?: string };

/** True when the query carries enough information for the backend to run it. */
export function isCompleteQuery(query: Partial<CloudWatchQuery>): boolean {
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

function interpolate(value: string | undefined, scopedVars?: ScopedVars): string | undefined {
  const srv = templateSrv();
  if (value === undefined || value === null || !srv) {
    return value;
  }
  return srv.replace(String(value), scopedVars);
}

export class DataSource extends DataSourceWithBackend<CloudWatchQuery, CloudWatchJsonData> {
  defaultRegion?: string;

  constructor(instanceSettings: DataSourceInstanceSettings<CloudWatchJsonData>) {
    super(instanceSettings);
    this.defaultRegion = instanceSettings.jsonData?.defaultRegion;
  }

  getDefaultQuery(_app: CoreApp): Partial<CloudWatchQuery> {
    return { ...DEFAULT_QUERY, dimensions: {} };
  }

  filterQuery(query: CloudWatchQuery): boolean {
    return isCompleteQuery(query);
  }

  applyTemplateVariables(query: CloudWatchQuery, scopedVars: ScopedVars): CloudWatchQuery {
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

  private async list<T>(path: string, params?: Record<string, string>): Promise<Array<ResourceItem<T>>> {
    const res = await this.getResource(path, params);
    return Array.isArray(res) ? res : [];
  }

  async getRegions(): Promise<string[]> {
    try {
      const items = await this.list<{ name: string }>('regions');
      const names = items.map((i) => i.value?.name).filter((n): n is string => !!n);
      return names.length ? names : STATIC_REGIONS;
    } catch {
      return STATIC_REGIONS;
    }
  }

  async getNamespaces(): Promise<string[]> {
    const items = await this.list<string>('namespaces');
    return items.map((i) => i.value).filter(Boolean);
  }

  async getMetrics(region: string, namespace: string): Promise<string[]> {
    if (!namespace) {
      return [];
    }
    const items = await this.list<{ name: string; namespace: string }>('metrics', {
      region: this.resolveRegion(region),
      namespace: interpolate(namespace) ?? namespace,
    });
    return items.map((i) => i.value?.name).filter(Boolean);
  }

  async getDimensionKeys(
    region: string,
    namespace: string,
    metricName: string | undefined,
    dimensionFilters: Dimensions = {}
  ): Promise<string[]> {
    if (!namespace) {
      return [];
    }
    const items = await this.list<string>('dimension-keys', {
      region: this.resolveRegion(region),
      namespace: interpolate(namespace) ?? namespace,
      metricName: interpolate(metricName) ?? '',
      dimensionFilters: JSON.stringify(dimensionFilters),
    });
    return items.map((i) => i.value).filter(Boolean);
  }

  async getDimensionValues(
    region: string,
    namespace: string,
    metricName: string | undefined,
    dimensionKey: string,
    dimensionFilters: Dimensions = {}
  ): Promise<string[]> {
    if (!namespace || !dimensionKey) {
      return [];
    }
    const items = await this.list<string>('dimension-values', {
      region: this.resolveRegion(region),
      namespace: interpolate(namespace) ?? namespace,
      metricName: interpolate(metricName) ?? '',
      dimensionKey: interpolate(dimensionKey) ?? dimensionKey,
      dimensionFilters: JSON.stringify(dimensionFilters),
    });
    return items.map((i) => i.value).filter(Boolean);
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
