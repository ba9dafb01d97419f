/**
 * The `sql` model of a Metrics Insights builder query: the JSON shape Grafana's CloudWatch datasource stores in
 * `CloudWatchMetricsQuery.sql` (its dataquery schema: `SQLExpression` and the `QueryEditor*Expression` types), so
 * dashboards move between the two plugins unchanged. Field names and enum values are facts from that schema;
 * the code here is this plugin's own.
 */

export enum QueryEditorExpressionType {
  Property = 'property',
  Operator = 'operator',
  Or = 'or',
  And = 'and',
  GroupBy = 'groupBy',
  Function = 'function',
  FunctionParameter = 'functionParameter',
}

export enum QueryEditorPropertyType {
  String = 'string',
}

export interface QueryEditorProperty {
  type: QueryEditorPropertyType;
  name?: string;
}

export interface QueryEditorPropertyExpression {
  type: QueryEditorExpressionType.Property;
  property: QueryEditorProperty;
}

export interface QueryEditorFunctionParameterExpression {
  type: QueryEditorExpressionType.FunctionParameter;
  name?: string;
}

export interface QueryEditorFunctionExpression {
  type: QueryEditorExpressionType.Function;
  name?: string;
  parameters?: QueryEditorFunctionParameterExpression[];
}

export interface QueryEditorOperator {
  name?: string;
  value?: string | boolean | number | Array<string | boolean | number>;
}

export interface QueryEditorOperatorExpression {
  type: QueryEditorExpressionType.Operator;
  property: QueryEditorProperty;
  operator: QueryEditorOperator;
}

export interface QueryEditorGroupByExpression {
  type: QueryEditorExpressionType.GroupBy;
  property: QueryEditorProperty;
}

export interface QueryEditorArrayExpression {
  type: QueryEditorExpressionType.And | QueryEditorExpressionType.Or;
  expressions: QueryEditorExpression[];
}

export type QueryEditorExpression =
  | QueryEditorArrayExpression
  | QueryEditorPropertyExpression
  | QueryEditorGroupByExpression
  | QueryEditorFunctionExpression
  | QueryEditorFunctionParameterExpression
  | QueryEditorOperatorExpression;

/** `CloudWatchMetricsQuery.sql`: one part per clause of a Metrics Insights query. */
export interface SQLExpression {
  select?: QueryEditorFunctionExpression;
  from?: QueryEditorPropertyExpression | QueryEditorFunctionExpression;
  where?: QueryEditorArrayExpression;
  groupBy?: QueryEditorArrayExpression;
  orderBy?: QueryEditorFunctionExpression;
  /** `ASC` or `DESC`. */
  orderByDirection?: string;
  limit?: number;
}

/**
 * The clause vocabulary of Metrics Insights (AWS, "Metrics Insights query components and syntax":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html).
 */
export const STATISTICS = ['AVG', 'COUNT', 'MAX', 'MIN', 'SUM'];
export const SCHEMA = 'SCHEMA';
export const EQUALS = '=';
export const NOT_EQUALS = '!=';
export const COMPARISON_OPERATORS = [EQUALS, NOT_EQUALS];
export const ASC = 'ASC';
export const DESC = 'DESC';
/** The cross-account label key; never quoted (it is a key path, not a name with a dot). */
export const ACCOUNT_ID_KEY = 'AWS.AccountId';

export const fn = (name?: string, parameters: string[] = []): QueryEditorFunctionExpression => ({
  type: QueryEditorExpressionType.Function,
  ...(name !== undefined ? { name } : {}),
  parameters: parameters.map((p) => ({ type: QueryEditorExpressionType.FunctionParameter, name: p })),
});

export const property = (name?: string): QueryEditorPropertyExpression => ({
  type: QueryEditorExpressionType.Property,
  property: { type: QueryEditorPropertyType.String, name },
});

export const operator = (key?: string, op?: string, value?: string): QueryEditorOperatorExpression => ({
  type: QueryEditorExpressionType.Operator,
  property: { type: QueryEditorPropertyType.String, name: key },
  operator: { name: op, value },
});

export const groupBy = (key?: string): QueryEditorGroupByExpression => ({
  type: QueryEditorExpressionType.GroupBy,
  property: { type: QueryEditorPropertyType.String, name: key },
});

export const and = (expressions: QueryEditorExpression[]): QueryEditorArrayExpression => ({
  type: QueryEditorExpressionType.And,
  expressions,
});

export const or = (expressions: QueryEditorExpression[]): QueryEditorArrayExpression => ({
  type: QueryEditorExpressionType.Or,
  expressions,
});
