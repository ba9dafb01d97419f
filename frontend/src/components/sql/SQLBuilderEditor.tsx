import React, { useEffect, useMemo, useState } from 'react';
import { SelectableValue } from '@grafana/data';
import {
  AccessoryButton,
  EditorField,
  EditorFieldGroup,
  EditorList,
  EditorRow,
  EditorRows,
  EditorSwitch,
  InputGroup,
} from '@grafana/plugin-ui';
import { Input, MultiSelect, Select } from '@grafana/ui';

import type { DataSource } from '../../datasource';
import type { CloudWatchQuery } from '../../types';
import { toOptions, useOptions, withCurrent } from '../options';
import { ASC, COMPARISON_OPERATORS, DESC, EQUALS, SQLExpression, STATISTICS } from './expressions';
import {
  Filter,
  getFilters,
  getGroupByKeys,
  getMetricName,
  getNamespace,
  getSchemaKeys,
  isWithSchema,
  setAggregation,
  setFilters,
  setGroupByKeys,
  setMetricName,
  setNamespace,
  setOrderBy,
  setSchemaKeys,
  setWithSchema,
} from './model';
import { renderSql } from './sqlGenerator';

export interface Props {
  datasource: DataSource;
  query: CloudWatchQuery;
  onChange: (query: CloudWatchQuery) => void;
}

/**
 * The query with a new `sql` model and the text it renders to (Grafana's builder does the same on every change, so
 * `sqlExpression` is always the builder's SQL). The namespace and metric name are mirrored into the query's own
 * fields, as Grafana's builder does, once the model has them.
 */
export function withSql(query: CloudWatchQuery, sql: SQLExpression): CloudWatchQuery {
  const namespace = getNamespace(sql);
  const metricName = getMetricName(sql);
  return {
    ...query,
    sql,
    sqlExpression: renderSql(sql, query.accountId) ?? '',
    // A model without them (a new builder query) leaves the search editor's choices alone.
    ...(namespace !== undefined ? { namespace } : {}),
    ...(metricName !== undefined ? { metricName } : {}),
  };
}

const statisticOptions = (variables: string[]) => toOptions([...STATISTICS, ...variables]);
const operatorOptions = toOptions(COMPARISON_OPERATORS);
const directionOptions = toOptions([ASC, DESC]);

/** Keeps a list editor's half-filled rows (not yet in the model) until the model changes from outside. */
function useRows<T>(fromModel: T[]): [T[], (rows: T[]) => void] {
  const [rows, setRows] = useState<T[]>(fromModel);
  const external = JSON.stringify(fromModel);
  useEffect(() => setRows(JSON.parse(external)), [external]);
  return [rows, setRows];
}

export function SQLBuilderEditor({ datasource, query, onChange }: Props) {
  const sql: SQLExpression = useMemo(() => query.sql ?? {}, [query.sql]);
  const change = (next: SQLExpression) => onChange(withSql(query, next));
  const variables = datasource.getVariables();

  const aggregation = sql.select?.name;
  useEffect(() => {
    // A new builder query starts with AVG, the first statistic (as Grafana's builder).
    if (!aggregation) {
      onChange(withSql(query, setAggregation(sql, STATISTICS[0])));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [aggregation]);

  const namespace = getNamespace(sql);
  const metricName = getMetricName(sql);
  const schemaKeys = getSchemaKeys(sql);
  const withSchema = isWithSchema(sql);

  const namespaces = useOptions(() => datasource.getNamespaces(), []);
  const metrics = useOptions(
    () => (namespace ? datasource.getMetrics(query.region, namespace) : Promise.resolve([])),
    [query.region, namespace]
  );
  const keys = useOptions(
    () => (namespace ? datasource.getDimensionKeys(query.region, namespace, metricName, {}) : Promise.resolve([])),
    [query.region, namespace, metricName]
  );
  const keyOptions = toOptions([...keys.options, ...variables]);

  const [filters, setFilterRows] = useRows<Filter>(getFilters(sql));
  const [groupBys, setGroupByRows] = useRows<{ key?: string }>(getGroupByKeys(sql).map((key) => ({ key })));

  return (
    <EditorRows>
      <EditorRow>
        <EditorFieldGroup>
          <EditorField
            label="Namespace"
            width={26}
            htmlFor="cw-sql-namespace"
            invalid={!!namespaces.error}
            error={namespaces.error && `Could not load namespaces: ${namespaces.error}`}
          >
            <Select
              inputId="cw-sql-namespace"
              aria-label="Namespace"
              allowCustomValue
              isLoading={namespaces.loading}
              placeholder="Select namespace"
              value={namespace ? { label: namespace, value: namespace } : null}
              options={withCurrent(toOptions([...namespaces.options, ...variables]), namespace)}
              onChange={(v) => v?.value && change(setNamespace(sql, v.value))}
            />
          </EditorField>
          <EditorField label="With schema" tooltip="FROM SCHEMA(namespace, keys): only metrics with exactly these dimensions">
            <EditorSwitch
              id="cw-sql-with-schema"
              aria-label="With schema"
              value={withSchema}
              onChange={(e) => change(setWithSchema(sql, e.currentTarget.checked))}
            />
          </EditorField>
          {withSchema && (
            <EditorField label="Schema labels" htmlFor="cw-sql-schema-labels" disabled={!namespace}>
              <MultiSelect
                inputId="cw-sql-schema-labels"
                aria-label="Schema labels"
                width="auto"
                allowCustomValue
                isLoading={keys.loading}
                value={schemaKeys}
                options={toOptions([...schemaKeys, ...keys.options, ...variables])}
                onChange={(items: Array<SelectableValue<string>>) =>
                  change(setSchemaKeys(sql, items.map((i) => i.value!).filter(Boolean)))
                }
              />
            </EditorField>
          )}
        </EditorFieldGroup>
        <EditorFieldGroup>
          <EditorField label="Metric name" width={26} htmlFor="cw-sql-metric-name">
            <Select
              inputId="cw-sql-metric-name"
              aria-label="Metric name"
              allowCustomValue
              isLoading={metrics.loading}
              placeholder="Select metric name"
              value={metricName ? { label: metricName, value: metricName } : null}
              options={withCurrent(toOptions([...metrics.options, ...variables]), metricName)}
              onChange={(v) => v?.value && change(setMetricName(sql, v.value))}
            />
          </EditorField>
          <EditorField label="Aggregation" width={16} htmlFor="cw-sql-aggregation">
            <Select
              inputId="cw-sql-aggregation"
              aria-label="Aggregation"
              value={aggregation ? { label: aggregation, value: aggregation } : null}
              options={withCurrent(statisticOptions(variables), aggregation)}
              onChange={(v) => v?.value && change(setAggregation(sql, v.value))}
            />
          </EditorField>
        </EditorFieldGroup>
      </EditorRow>

      <EditorRow>
        <EditorField label="Filter" optional>
          <EditorList
            items={filters}
            onChange={(items) => {
              const cleaned = (items as Filter[]).map((f) => ({ ...f, op: f.op ?? EQUALS }));
              setFilterRows(cleaned);
              change(setFilters(sql, cleaned));
            }}
            renderItem={(item: Partial<Filter>, onChangeItem, onDelete) => (
              <FilterItem
                datasource={datasource}
                query={query}
                namespace={namespace}
                metricName={metricName}
                index={filters.indexOf(item as Filter)}
                filter={item}
                keyOptions={keyOptions}
                onChange={onChangeItem}
                onDelete={onDelete}
              />
            )}
          />
        </EditorField>
      </EditorRow>

      <EditorRow>
        <EditorField label="Group by" optional>
          <EditorList
            items={groupBys}
            onChange={(items) => {
              const rows = items as Array<{ key?: string }>;
              setGroupByRows(rows);
              change(setGroupByKeys(sql, rows.map((r) => r.key ?? '')));
            }}
            renderItem={(item: { key?: string }, onChangeItem, onDelete) => {
              const index = groupBys.indexOf(item as { key?: string });
              const used = new Set(groupBys.map((g) => g.key));
              return (
                <InputGroup>
                  <Select
                    aria-label={`Group by ${index + 1}`}
                    width="auto"
                    allowCustomValue
                    value={item.key ? { label: item.key, value: item.key } : null}
                    options={withCurrent(
                      keyOptions.filter((o) => !used.has(o.value)),
                      item.key
                    )}
                    onChange={(v) => v?.value && onChangeItem({ key: v.value })}
                  />
                  <AccessoryButton
                    aria-label={`Remove group by ${index + 1}`}
                    icon="times"
                    variant="secondary"
                    onClick={onDelete}
                  />
                </InputGroup>
              );
            }}
          />
        </EditorField>

        <EditorFieldGroup>
          <EditorField label="Order by" optional width={16}>
            <InputGroup>
              <Select
                aria-label="Order by"
                value={sql.orderBy?.name ? { label: sql.orderBy.name, value: sql.orderBy.name } : null}
                options={withCurrent(statisticOptions(variables), sql.orderBy?.name)}
                onChange={(v) => v?.value && change(setOrderBy(sql, v.value))}
              />
              {sql.orderBy?.name ? (
                <AccessoryButton
                  aria-label="Remove order by"
                  icon="times"
                  variant="secondary"
                  onClick={() => change(setOrderBy(sql, undefined))}
                />
              ) : (
                <></>
              )}
            </InputGroup>
          </EditorField>
          <EditorField label="Direction" width={12} disabled={!sql.orderBy}>
            <Select
              aria-label="Direction"
              value={{ label: sql.orderByDirection ?? ASC, value: sql.orderByDirection ?? ASC }}
              options={withCurrent(toOptions([ASC, DESC, ...variables]), sql.orderByDirection)}
              onChange={(v) => v?.value && change({ ...sql, orderByDirection: v.value })}
            />
          </EditorField>
        </EditorFieldGroup>

        <EditorField label="Limit" optional width={10} htmlFor="cw-sql-limit">
          <Input
            id="cw-sql-limit"
            aria-label="Limit"
            type="number"
            min={1}
            value={sql.limit ?? ''}
            onChange={(e) => {
              const n = e.currentTarget.valueAsNumber;
              change({ ...sql, limit: Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined });
            }}
          />
        </EditorField>
      </EditorRow>

      {query.sqlExpression && (
        <EditorRow>
          <pre data-testid="cw-sql-preview" style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
            {query.sqlExpression}
          </pre>
        </EditorRow>
      )}
    </EditorRows>
  );
}

interface FilterItemProps {
  datasource: DataSource;
  query: CloudWatchQuery;
  namespace?: string;
  metricName?: string;
  index: number;
  filter: Partial<Filter>;
  keyOptions: Array<SelectableValue<string>>;
  onChange: (filter: Partial<Filter>) => void;
  onDelete: () => void;
}

function FilterItem(props: FilterItemProps) {
  const { datasource, query, namespace, metricName, index, filter, keyOptions, onChange, onDelete } = props;
  const n = index + 1;
  const values = useOptions(
    () =>
      namespace && filter.key
        ? datasource.getDimensionValues(query.region, namespace, metricName, filter.key, {})
        : Promise.resolve([]),
    [query.region, namespace, metricName, filter.key]
  );
  return (
    <InputGroup>
      <Select
        aria-label={`Filter key ${n}`}
        width="auto"
        allowCustomValue
        placeholder="key"
        value={filter.key ? { label: filter.key, value: filter.key } : null}
        options={withCurrent(keyOptions, filter.key)}
        onChange={(v) => v?.value && onChange({ ...filter, key: v.value, value: undefined })}
      />
      <Select
        aria-label={`Filter operator ${n}`}
        width="auto"
        value={{ label: filter.op ?? EQUALS, value: filter.op ?? EQUALS }}
        options={operatorOptions}
        onChange={(v) => v?.value && onChange({ ...filter, op: v.value })}
      />
      <Select
        aria-label={`Filter value ${n}`}
        width="auto"
        allowCustomValue
        placeholder="value"
        isLoading={values.loading}
        disabled={!filter.key}
        value={filter.value ? { label: filter.value, value: filter.value } : null}
        options={withCurrent(toOptions([...values.options, ...datasource.getVariables()]), filter.value)}
        onChange={(v) => v?.value && onChange({ ...filter, value: v.value })}
      />
      <AccessoryButton aria-label={`Remove filter ${n}`} icon="times" variant="secondary" onClick={onDelete} />
    </InputGroup>
  );
}
