import { defer, map, Observable } from 'rxjs';
import { CustomVariableSupport, DataQueryRequest, DataQueryResponse, MetricFindValue } from '@grafana/data';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import { interpolate } from './datasource';
import type { DataSource, ResourceOptions } from './datasource';
import { migrateVariableQuery } from './migrations';
import {
  CloudWatchQuery,
  DEFAULT_VARIABLE_QUERY,
  STANDARD_STATISTICS,
  VariableQuery,
  VariableQueryType,
} from './types';

const toValues = (names: string[]): MetricFindValue[] => names.map((n) => ({ text: n, value: n }));

/** The option Grafana CloudWatch offers first in an `accounts` variable: every linked account. */
export const ALL_ACCOUNTS: MetricFindValue = { text: 'All', value: 'all' };

/**
 * "Query" template variables, with Grafana CloudWatch's variable query model (legacy string queries are migrated
 * first). Everything but `statistics` is answered by the backend's resource routes.
 */
export class CloudWatchVariableSupport extends CustomVariableSupport<DataSource, VariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
    this.query = this.query.bind(this);
  }

  getDefaultQuery(): Partial<CloudWatchQuery> {
    // Grafana passes this to the variable editor; it is a VariableQuery, not a panel query.
    return { ...DEFAULT_VARIABLE_QUERY } as unknown as Partial<CloudWatchQuery>;
  }

  query(request: DataQueryRequest<VariableQuery>): Observable<DataQueryResponse> {
    // Old dashboards store the query as a string; Grafana hands it over as the target.
    const target = request.targets[0] as VariableQuery | string | undefined;
    // defer: an unreadable legacy query becomes an error of the observable, not an exception.
    return defer(() => this.execute(migrateVariableQuery(target))).pipe(map((data) => ({ data })));
  }

  /** Run one variable query: template variables are interpolated in every field, `default` region kept. */
  async execute(query: VariableQuery): Promise<MetricFindValue[]> {
    const ds = this.datasource;
    const { region } = query;
    const options: ResourceOptions = { keepDefaultRegion: true, accountId: query.accountId };
    switch (query.queryType) {
      case VariableQueryType.Regions:
        return toValues(['default', ...(await ds.getRegions())]);
      case VariableQueryType.Namespaces:
        return toValues(await ds.getNamespaces());
      case VariableQueryType.Metrics:
        return toValues(await ds.getMetrics(region, query.namespace, options));
      case VariableQueryType.DimensionKeys:
        return toValues(await ds.getDimensionKeys(region, query.namespace, '', {}, options));
      case VariableQueryType.DimensionValues:
        return toValues(
          await ds.getDimensionValues(
            region,
            query.namespace,
            query.metricName,
            query.dimensionKey,
            query.dimensionFilters ?? {},
            options
          )
        );
      case VariableQueryType.EBSVolumeIDs:
        return query.instanceID ? ds.getEbsVolumeIds(region, query.instanceID, options) : [];
      case VariableQueryType.EC2InstanceAttributes:
        return query.attributeName
          ? ds.getEc2InstanceAttribute(region, query.attributeName, query.ec2Filters ?? {}, options)
          : [];
      case VariableQueryType.ResourceArns:
        return query.resourceType ? ds.getResourceArns(region, query.resourceType, query.tags ?? {}, options) : [];
      case VariableQueryType.Statistics:
        return toValues(STANDARD_STATISTICS);
      case VariableQueryType.LogGroups: {
        // Grafana CloudWatch's log-groups variable: every page of the `log-groups` route, the name shown, the ARN
        // as the value (what a logs query's `logGroups` holds).
        const prefix = interpolate(query.logGroupPrefix);
        const groups = await ds.getLogGroups(
          region,
          { logGroupNamePrefix: prefix || undefined, listAllLogGroups: true },
          options
        );
        return groups.map((g) => ({ text: g.value.name, value: g.value.arn }));
      }
      case VariableQueryType.Accounts: {
        const accounts = await ds.getAccounts(region, { keepDefaultRegion: true });
        const values = accounts.map((a) => ({ text: a.label || a.id, value: a.id }));
        return values.length ? [ALL_ACCOUNTS, ...values] : [];
      }
    }
    // A query type from a newer Grafana CloudWatch: say so rather than return nothing.
    throw new Error(`variable query type "${String(query.queryType)}" is not supported by this data source`);
  }
}
