/**
 * `sql` model → Metrics Insights query text, rendered the way Grafana's CloudWatch editor renders it (same clause
 * order, spacing, parentheses and quoting; facts read from its SQLGenerator and its tests, code written here), so a
 * builder query gives the same `sqlExpression` in both plugins.
 *
 * Quoting (AWS, "What needs quotation marks or escape characters?" in
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html):
 * a name is double-quoted when it contains `/`, whitespace, `.`, `%` or `-`, starts with a digit, or is a reserved
 * keyword; the test runs on the name with dashboard variables replaced (a `$namespace` holding `AWS/EC2` is quoted)
 * while the text keeps the variable. `AWS.AccountId` is a key path and never quoted. Filter values are single-quoted.
 */
import { getTemplateSrv } from '@grafana/runtime';

import {
  ACCOUNT_ID_KEY,
  ASC,
  QueryEditorArrayExpression,
  QueryEditorExpression,
  QueryEditorExpressionType,
  QueryEditorFunctionExpression,
  SQLExpression,
} from './expressions';
import { isReservedKeyword } from './reservedKeywords';

/** Replaces dashboard variables; the default is Grafana's template service (raw format). */
export type Interpolate = (text: string) => string;

const defaultInterpolate: Interpolate = (text) => {
  try {
    return getTemplateSrv().replace(text, {}, 'raw');
  } catch {
    return text; // no template service (tests, the harness): nothing to replace
  }
};

const NEEDS_QUOTES = /[/\s.%-]/;
const STARTS_WITH_DIGIT = /^\d/;

/** `accountId` adds `WHERE AWS.AccountId = '<id>'` (cross-account observability) unless it is empty or `all`. */
export function renderSql(
  sql: SQLExpression,
  accountId?: string,
  interpolate: Interpolate = defaultInterpolate
): string | undefined {
  const { select, from, where, groupBy, orderBy, orderByDirection, limit } = sql;
  if (!from || !select?.name || !select.parameters?.length) {
    return undefined;
  }
  const name = (label: string) => {
    const value = interpolate(label);
    if (value === ACCOUNT_ID_KEY) {
      return label;
    }
    return NEEDS_QUOTES.test(value) || STARTS_WITH_DIGIT.test(value) || isReservedKeyword(value) ? `"${label}"` : label;
  };
  const call = (f: QueryEditorFunctionExpression) => {
    const params = (f.parameters ?? []).map((p) => (p.name ? name(p.name) : '')).filter(Boolean);
    return `${f.name}(${params.join(', ')})`;
  };

  const parts = ['SELECT', call(select), 'FROM'];
  parts.push(from.type === QueryEditorExpressionType.Function ? call(from) : name(from.property?.name ?? ''));

  const scoped = !!accountId && accountId !== 'all';
  if (scoped) {
    parts.push(`WHERE ${ACCOUNT_ID_KEY} = '${accountId}'`);
  }
  if (where && where.expressions.length > 0) {
    // The keyword goes in as soon as the top level has children, even if none of them renders (as Grafana does).
    parts.push(scoped ? 'AND' : 'WHERE');
    const rendered = condition(where, true, where.expressions.length, name);
    if (rendered) {
      parts.push(rendered);
    }
  }

  const keys = (groupBy?.expressions ?? [])
    .filter((e) => e?.type === QueryEditorExpressionType.GroupBy && e.property.name)
    .map((e) => name((e as { property: { name: string } }).property.name));
  if (keys.length) {
    parts.push(`GROUP BY ${keys.join(', ')}`);
  }
  if (orderBy) {
    parts.push('ORDER BY', call(orderBy), orderByDirection ?? ASC);
  }
  if (limit) {
    parts.push(`LIMIT ${limit}`);
  }
  return parts.join(' ');
}

/**
 * One WHERE node. A nested AND/OR is wrapped in parentheses when it has more than one rendered part and the top
 * level has more than one child (Grafana keeps parentheses that are redundant in `a AND (b AND c)`; so does this).
 * An operator with a missing key, operator or value renders nothing.
 */
function condition(
  node: QueryEditorExpression,
  topLevel: boolean,
  topLevelCount: number,
  name: (label: string) => string
): string | undefined {
  if (node.type === QueryEditorExpressionType.And || node.type === QueryEditorExpressionType.Or) {
    const rendered = (node as QueryEditorArrayExpression).expressions
      .map((child) => condition(child, false, topLevelCount, name))
      .filter((s): s is string => !!s);
    if (!rendered.length) {
      return undefined;
    }
    const joined = rendered.join(node.type === QueryEditorExpressionType.And ? ' AND ' : ' OR ');
    return !topLevel && topLevelCount > 1 && rendered.length > 1 ? `(${joined})` : joined;
  }
  if (node.type === QueryEditorExpressionType.Operator) {
    const { property, operator } = node;
    if (!property.name || !operator.name || !operator.value) {
      return undefined;
    }
    return `${name(property.name)} ${operator.name} '${operator.value}'`;
  }
  return undefined;
}
