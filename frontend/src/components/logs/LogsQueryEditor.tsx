import React, { useEffect, useMemo, useRef } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, RadioButtonGroup, TextArea, useStyles2 } from '@grafana/ui';

import { DataSource } from '../../datasource';
import { migrateLegacyLogGroupNames, migrateLogsQuery } from '../../migrations';
import { CloudWatchLogsQuery, DEFAULT_LOGS_EXPRESSION, LogsQueryLanguage } from '../../types';
import { RegionField } from '../MetricStatFields';
import { LABEL_WIDTH } from '../QueryEditor';
import { LogGroupsPicker } from './LogGroupsPicker';
import { getStatsGroups } from './statsGroups';

export interface Props {
  datasource: DataSource;
  query: CloudWatchLogsQuery;
  onChange: (query: CloudWatchLogsQuery) => void;
  onRunQuery: () => void;
}

const languageOptions: Array<SelectableValue<LogsQueryLanguage>> = [
  { label: 'Logs Insights QL', value: LogsQueryLanguage.CWLI },
  { label: 'OpenSearch SQL', value: LogsQueryLanguage.SQL },
  { label: 'OpenSearch PPL', value: LogsQueryLanguage.PPL },
];

const STARTING_TEXTS = Object.values(DEFAULT_LOGS_EXPRESSION);

const LANGUAGE_HELP: Record<LogsQueryLanguage, string> = {
  [LogsQueryLanguage.CWLI]: 'CloudWatch Logs Insights query; `stats … by bin(…)` queries are graphed as time series',
  [LogsQueryLanguage.SQL]: 'OpenSearch SQL; name the log groups in FROM `logGroups(logGroupIdentifier: [...])`',
  [LogsQueryLanguage.PPL]: 'OpenSearch PPL over the selected log groups',
};

/**
 * Logs Insights query editor: region, query language, log groups and the query text. Emits Grafana CloudWatch's
 * logs query JSON (`queryMode: "Logs"`, `expression`, `queryLanguage`, `logGroups`, `statsGroups`, `region`).
 */
export function LogsQueryEditor(props: Props) {
  const { datasource, onRunQuery } = props;
  const styles = useStyles2(getStyles);
  const query = useMemo(() => migrateLogsQuery(props.query), [props.query]);
  const change = (patch: Partial<CloudWatchLogsQuery>) => props.onChange({ ...query, ...patch });
  const language = query.queryLanguage ?? LogsQueryLanguage.CWLI;
  // A query the user has not written yet (empty or a starting text) follows the language switch with that
  // language's starting text.
  const untouched = useRef(!props.query.expression || STARTING_TEXTS.includes(props.query.expression));

  // A new query starts with the language's example; older dashboards' `logGroupNames` become `logGroups`.
  useEffect(() => {
    const start = !query.expression && untouched.current ? { expression: DEFAULT_LOGS_EXPRESSION[language] } : {};
    if (start.expression) {
      change(start);
    }
    const legacy = query.logGroupNames ?? [];
    if (legacy.length && !query.logGroups?.length) {
      migrateLegacyLogGroupNames(
        legacy,
        (n) => datasource.isVariable(n),
        (prefix) => datasource.getLogGroups(query.region, { logGroupNamePrefix: prefix })
      ).then((logGroups) => props.onChange({ ...query, ...start, logGroups, logGroupNames: undefined }));
    }
    // Once per mounted query: later edits are the user's.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const setExpression = (expression: string) => {
    untouched.current = false;
    change({ expression, statsGroups: getStatsGroups(expression) });
  };

  return (
    <div data-testid="pyaws-cloudwatch-logs-editor">
      <InlineFieldRow>
        <RegionField
          datasource={datasource}
          region={query.region}
          onChange={(region) => change({ region })}
          idPrefix="cw-logs"
        />
        <InlineField label="Query language" labelWidth={16}>
          <RadioButtonGroup
            size="sm"
            options={languageOptions}
            value={language}
            onChange={(v) =>
              change(
                untouched.current ? { queryLanguage: v, expression: DEFAULT_LOGS_EXPRESSION[v] } : { queryLanguage: v }
              )
            }
          />
        </InlineField>
      </InlineFieldRow>
      <LogGroupsPicker
        datasource={datasource}
        region={query.region}
        selected={query.logGroups ?? []}
        onChange={(logGroups) => change({ logGroups, logGroupNames: undefined })}
      />
      <InlineFieldRow>
        <InlineField label="Query" labelWidth={LABEL_WIDTH} grow tooltip={LANGUAGE_HELP[language]}>
          <TextArea
            id="cw-logs-expression"
            aria-label="Logs query"
            className={styles.code}
            rows={6}
            spellCheck={false}
            value={query.expression ?? ''}
            onChange={(e) => setExpression(e.currentTarget.value)}
            onBlur={onRunQuery}
            onKeyDown={(e) => {
              // Shift+Enter runs the query, as in Grafana's logs editors.
              if (e.key === 'Enter' && e.shiftKey) {
                e.preventDefault();
                onRunQuery();
              }
            }}
          />
        </InlineField>
      </InlineFieldRow>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  code: css({ fontFamily: theme.typography.fontFamilyMonospace, fontSize: theme.typography.bodySmall.fontSize }),
});
