import { DataSourceRef } from '@grafana/schema';

import {
  CloudWatchAnnotationQuery,
  CloudWatchLogsQuery,
  DEFAULT_ANNOTATION_QUERY,
  DEFAULT_LOGS_QUERY,
  DEFAULT_VARIABLE_QUERY,
  LogGroup,
  LogsQueryLanguage,
  DimensionFilters,
  MultiFilters,
  OldVariableQuery,
  VariableQuery,
  VariableQueryType,
} from './types';

/**
 * Parse a JSON filter argument; empty and `[]` (what old editors wrote for "none") mean no filters. Old dashboards
 * write a multi-value variable as `${team:json}`, which is not JSON until the variable is expanded: like Grafana's
 * migration it becomes the string "$team", which interpolation later expands into one value each. With `asLists`
 * (EC2 filters and tags, which are name → values) a single string value becomes a one-element list.
 */
function parseFilters<T>(raw: string | undefined, asLists = false): T | {} {
  const text = (raw ?? '').trim();
  if (!text || text === '[]') {
    return {};
  }
  try {
    const parsed = JSON.parse(text.replace(/\$\{(\w+):json\}/g, '"$$$1"'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return Object.fromEntries(
        Object.entries(parsed).map(([key, value]) => [key, asLists && typeof value === 'string' ? [value] : value])
      );
    }
  } catch {
    // fall through
  }
  throw new Error(`unable to migrate poorly formed filters: ${text}`);
}

/**
 * Split `a, b, c, {json, with, commas}` into `count` plain arguments and the rest (the JSON argument),
 * e.g. splitArgs('us-east-1, AWS/EC2, {"a":"b,c"}', 2) → [['us-east-1', 'AWS/EC2'], '{"a":"b,c"}'].
 */
function splitArgs(body: string, count: number): [string[], string] {
  const args: string[] = [];
  let rest = body;
  while (args.length < count) {
    const comma = rest.indexOf(',');
    if (comma < 0) {
      args.push(rest.trim());
      rest = '';
      break;
    }
    args.push(rest.slice(0, comma).trim());
    rest = rest.slice(comma + 1);
  }
  return [args, rest.trim()];
}

/** The legacy string form old dashboards store, e.g. `dimension_values(us-east-1,AWS/EC2,CPUUtilization,Name)`. */
function migrateLegacyString(raw: string): VariableQuery {
  const query: VariableQuery = { ...DEFAULT_VARIABLE_QUERY, dimensionFilters: {}, ec2Filters: {}, tags: {} };
  const text = raw.trim();
  if (!text) {
    return query;
  }
  const call = text.match(/^(\w+)\((.*)\)$/s);
  if (!call) {
    throw new Error(`unable to parse old variable query: ${text}`);
  }
  const [, name, body] = call;
  const region = (r: string | undefined) => r || 'default';
  switch (name) {
    case 'regions':
    case 'namespaces':
    case 'statistics': {
      if (body.trim()) {
        break; // these take no arguments; Grafana's patterns refuse any
      }
      const types = {
        regions: VariableQueryType.Regions,
        namespaces: VariableQueryType.Namespaces,
        statistics: VariableQueryType.Statistics,
      };
      return { ...query, queryType: types[name] };
    }
    case 'metrics':
    case 'dimension_keys': {
      const [[namespace, r], extra] = splitArgs(body, 2);
      if (!namespace || extra) {
        break;
      }
      const queryType = name === 'metrics' ? VariableQueryType.Metrics : VariableQueryType.DimensionKeys;
      return { ...query, queryType, namespace, region: region(r) };
    }
    case 'dimension_values': {
      const [[r, namespace, metricName, dimensionKey], filters] = splitArgs(body, 4);
      if (!dimensionKey) {
        break;
      }
      return {
        ...query,
        queryType: VariableQueryType.DimensionValues,
        region: region(r),
        namespace,
        metricName,
        dimensionKey,
        dimensionFilters: parseFilters<DimensionFilters>(filters),
      };
    }
    case 'ebs_volume_ids': {
      const [[r, instanceID], extra] = splitArgs(body, 2);
      if (!instanceID || extra) {
        break;
      }
      return { ...query, queryType: VariableQueryType.EBSVolumeIDs, region: region(r), instanceID };
    }
    case 'ec2_instance_attribute': {
      const [[r, attributeName], filters] = splitArgs(body, 2);
      if (!attributeName) {
        break;
      }
      return {
        ...query,
        queryType: VariableQueryType.EC2InstanceAttributes,
        region: region(r),
        attributeName,
        ec2Filters: parseFilters<MultiFilters>(filters, true),
      };
    }
    case 'resource_arns': {
      const [[r, resourceType], tags] = splitArgs(body, 2);
      if (!resourceType) {
        break;
      }
      return {
        ...query,
        queryType: VariableQueryType.ResourceArns,
        region: region(r),
        resourceType,
        tags: parseFilters<MultiFilters>(tags, true),
      };
    }
  }
  throw new Error(`unable to parse old variable query: ${text}`);
}

/**
 * Any stored CloudWatch variable query → the `VariableQuery` object (pure; throws on an unreadable legacy string).
 * Accepts the legacy string form, the older object form whose filters are JSON strings, and the current object.
 */
export function migrateVariableQuery(raw: string | VariableQuery | OldVariableQuery | null | undefined): VariableQuery {
  if (raw === null || raw === undefined) {
    return { ...DEFAULT_VARIABLE_QUERY };
  }
  if (typeof raw === 'string') {
    return migrateLegacyString(raw);
  }
  const { dimensionFilters, ec2Filters, tags } = raw;
  return {
    ...DEFAULT_VARIABLE_QUERY,
    ...raw,
    dimensionFilters: typeof dimensionFilters === 'string' ? parseFilters(dimensionFilters) : dimensionFilters ?? {},
    ec2Filters: typeof ec2Filters === 'string' ? parseFilters(ec2Filters, true) : ec2Filters ?? {},
    tags: typeof tags === 'string' ? parseFilters(tags, true) : tags ?? {},
  } as VariableQuery;
}

/**
 * A stored logs query with Grafana's defaults filled in: dashboards saved before `queryLanguage` existed are Logs
 * Insights QL, and an empty region is `default`. `logGroupNames` (the form before cross-account log groups) is kept:
 * the backend still reads it, and the editor turns it into `logGroups` (see `migrateLegacyLogGroupNames`).
 */
export function migrateLogsQuery(query: Partial<CloudWatchLogsQuery> & { refId: string }): CloudWatchLogsQuery {
  return {
    ...DEFAULT_LOGS_QUERY,
    ...query,
    queryMode: 'Logs',
    region: query.region || 'default',
    queryLanguage: query.queryLanguage || LogsQueryLanguage.CWLI,
    logGroups: query.logGroups ?? [],
  };
}

/** A log group the `log-groups` route answered: `{ accountId?, value: { arn, name } }`. */
export interface LogGroupItem {
  accountId?: string;
  value: { arn: string; name: string };
}

/**
 * Legacy `logGroupNames` → `logGroups`, as Grafana's editor migrates them: each name is looked up by prefix through
 * the `log-groups` route to learn its ARN; template variables stay as `{ name: '$var', arn: '$var' }` (after the
 * looked-up groups). Unlike Grafana, which keeps every group sharing the prefix, only the exact name is kept; a name
 * that cannot be found keeps its name as `arn` (StartQuery's `logGroupIdentifiers` accepts names as well as ARNs).
 */
export async function migrateLegacyLogGroupNames(
  names: string[],
  isVariable: (name: string) => boolean,
  lookup: (prefix: string) => Promise<LogGroupItem[]>
): Promise<LogGroup[]> {
  const variables = names.filter(isVariable);
  const plain = names.filter((n) => !isVariable(n));
  const found = await Promise.all(
    plain.map(async (name): Promise<LogGroup> => {
      const items = await lookup(name).catch(() => [] as LogGroupItem[]);
      const match = items.find((i) => i.value?.name === name);
      return match ? { arn: match.value.arn, name, accountId: match.accountId } : { arn: name, name };
    })
  );
  return [...found, ...variables.map((v) => ({ name: v, arn: v }))];
}

/** Grafana's annotation before it became a query target: its fields sit on the annotation itself. */
export interface LegacyAnnotation extends Partial<Omit<CloudWatchAnnotationQuery, 'queryMode'>> {
  datasource?: DataSourceRef | null;
  enable?: boolean;
  iconColor?: string;
  name?: string;
  builtIn?: number;
  hide?: boolean;
  target?: Partial<CloudWatchAnnotationQuery>;
  [key: string]: unknown;
}

/**
 * A stored annotation → one whose `target` is a `CloudWatchAnnotationQuery`, as Grafana's `prepareAnnotation` does:
 * current annotations (target with `queryMode: "Annotations"`) are kept; older ones have their query fields moved
 * into `target` with statistic `Average` and region `default` when missing.
 */
export function migrateAnnotation(annotation: LegacyAnnotation) {
  if (annotation.target?.queryMode === 'Annotations') {
    return annotation;
  }
  const { datasource, enable, iconColor, name, builtIn, hide, target, ...fields } = annotation;
  return {
    datasource,
    enable,
    iconColor,
    name,
    builtIn,
    hide,
    target: {
      ...target,
      ...fields,
      statistic: annotation.statistic || DEFAULT_ANNOTATION_QUERY.statistic,
      region: annotation.region || DEFAULT_ANNOTATION_QUERY.region,
      queryMode: 'Annotations' as const,
      refId: annotation.refId || 'annotationQuery',
    },
  };
}
