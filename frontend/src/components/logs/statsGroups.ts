/**
 * The grouping fields of a Logs Insights `stats` command, as Grafana CloudWatch stores them in `statsGroups`:
 * `stats count(*) by bin(5m), @logStream as stream` → `['bin(5m)', 'stream']` (an alias replaces the field).
 * The backend answers a query with groups as one time series per group instead of log rows, which is what lets a
 * stats query graph and alert like a metric. Syntax: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Stats.html
 */
const STATS_COMMAND = /\bstats\b/i;
const BY_KEYWORD = /\s+by\s+/i;
// One grouping item: a field, a dotted path or a function call like bin(1h), optionally `as alias`.
const GROUP_ITEM = /^\s*([\w@().]+)(?:\s+as\s+(\w+))?\s*/i;

export function getStatsGroups(expression: string): string[] {
  const stats = STATS_COMMAND.exec(expression);
  if (!stats) {
    return [];
  }
  // The `by` clause belongs to this command only: it ends at the next `|`.
  const afterStats = expression.slice(stats.index + stats[0].length).split('|')[0];
  const by = BY_KEYWORD.exec(afterStats);
  if (!by) {
    return [];
  }
  const groups: string[] = [];
  let rest = afterStats.slice(by.index + by[0].length);
  for (;;) {
    const item = GROUP_ITEM.exec(rest);
    if (!item) {
      break;
    }
    groups.push(item[2] ?? item[1]);
    rest = rest.slice(item[0].length);
    // Items are comma-separated; anything else (`|`, end of text) ends the list.
    if (!rest.startsWith(',')) {
      break;
    }
    rest = rest.slice(1);
  }
  return groups;
}
