/**
 * Reading and changing the `sql` model one builder field at a time (pure functions: each returns a new model).
 * The builder keeps WHERE as one AND of `key op 'value'` filters and GROUP BY as one list, the shapes Grafana's
 * builder saves; a model from elsewhere with nested AND/OR is read flat (every filter, in order).
 */
import {
  QueryEditorExpression,
  QueryEditorExpressionType,
  QueryEditorOperatorExpression,
  SCHEMA,
  SQLExpression,
  and,
  fn,
  groupBy,
  property,
} from './expressions';

export interface Filter {
  key?: string;
  op?: string;
  value?: string;
}

export function getNamespace(sql: SQLExpression): string | undefined {
  const from = sql.from;
  if (from?.type === QueryEditorExpressionType.Property) {
    return from.property.name;
  }
  return from?.parameters?.[0]?.name;
}

export const isWithSchema = (sql: SQLExpression) =>
  sql.from?.type === QueryEditorExpressionType.Function && sql.from.name === SCHEMA;

export function getSchemaKeys(sql: SQLExpression): string[] {
  if (sql.from?.type !== QueryEditorExpressionType.Function) {
    return [];
  }
  return (sql.from.parameters ?? []).slice(1).flatMap((p) => (p.name ? [p.name] : []));
}

export const getMetricName = (sql: SQLExpression) => sql.select?.parameters?.[0]?.name;

function operators(nodes: QueryEditorExpression[]): QueryEditorOperatorExpression[] {
  return nodes.flatMap((n) => {
    if (n.type === QueryEditorExpressionType.Operator) {
      return [n];
    }
    if (n.type === QueryEditorExpressionType.And || n.type === QueryEditorExpressionType.Or) {
      return operators(n.expressions);
    }
    return [];
  });
}

export const getFilters = (sql: SQLExpression): Filter[] =>
  operators(sql.where?.expressions ?? []).map((o) => ({
    key: o.property.name,
    op: o.operator.name,
    value: typeof o.operator.value === 'string' ? o.operator.value : undefined,
  }));

export const getGroupByKeys = (sql: SQLExpression): string[] =>
  (sql.groupBy?.expressions ?? []).flatMap((e) =>
    e.type === QueryEditorExpressionType.GroupBy && e.property.name ? [e.property.name] : []
  );

export function setNamespace(sql: SQLExpression, namespace: string): SQLExpression {
  if (isWithSchema(sql)) {
    return { ...sql, from: fn(SCHEMA, [namespace, ...getSchemaKeys(sql)]) };
  }
  return { ...sql, from: property(namespace) };
}

export function setWithSchema(sql: SQLExpression, on: boolean): SQLExpression {
  const namespace = getNamespace(sql) ?? '';
  return { ...sql, from: on ? fn(SCHEMA, [namespace]) : property(namespace) };
}

export const setSchemaKeys = (sql: SQLExpression, keys: string[]): SQLExpression =>
  isWithSchema(sql) ? { ...sql, from: fn(SCHEMA, [getNamespace(sql) ?? '', ...keys]) } : sql;

export const setMetricName = (sql: SQLExpression, metric: string): SQLExpression => ({
  ...sql,
  select: { ...(sql.select ?? fn()), parameters: fn(undefined, [metric]).parameters },
});

export const setAggregation = (sql: SQLExpression, stat: string): SQLExpression => ({
  ...sql,
  select: { ...(sql.select ?? fn()), name: stat },
});

/** Only complete filters (key, operator and value) are saved, as one AND; none → no WHERE. */
export function setFilters(sql: SQLExpression, filters: Filter[]): SQLExpression {
  const complete = filters.filter((f) => f.key && f.op && f.value);
  const where = complete.length
    ? and(
        complete.map((f) => ({
          type: QueryEditorExpressionType.Operator as const,
          property: { ...property(f.key).property },
          operator: { name: f.op, value: f.value },
        }))
      )
    : undefined;
  return { ...sql, where };
}

export function setGroupByKeys(sql: SQLExpression, keys: string[]): SQLExpression {
  const named = keys.filter(Boolean);
  return { ...sql, groupBy: named.length ? and(named.map((k) => groupBy(k))) : undefined };
}

export const setOrderBy = (sql: SQLExpression, stat?: string): SQLExpression => ({
  ...sql,
  orderBy: stat ? fn(stat) : undefined,
});
