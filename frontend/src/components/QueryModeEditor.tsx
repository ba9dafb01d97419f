import React from 'react';
import { SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, RadioButtonGroup } from '@grafana/ui';

import {
  AnyCloudWatchQuery,
  CloudWatchLogsQuery,
  CloudWatchQuery,
  DEFAULT_LOGS_EXPRESSION,
  DEFAULT_LOGS_QUERY,
  DEFAULT_QUERY,
  LogsQueryLanguage,
} from '../types';
import { LogsQueryEditor } from './logs/LogsQueryEditor';
import { LABEL_WIDTH, Props, QueryEditor } from './QueryEditor';

const modeOptions: Array<SelectableValue<'Metrics' | 'Logs'>> = [
  { label: 'CloudWatch Metrics', value: 'Metrics' },
  { label: 'CloudWatch Logs', value: 'Logs' },
];

/**
 * The panel query editor: a Metrics / Logs switch over the metrics editor and the Logs Insights editor. Switching
 * keeps the other fields, as Grafana CloudWatch does (its queries carry both sets of defaults); the expression
 * starts over because it means a different thing in each mode.
 */
export function QueryModeEditor(props: Props) {
  const query = props.query as unknown as AnyCloudWatchQuery;
  const isLogs = query.queryMode === 'Logs';

  const switchMode = (mode?: 'Metrics' | 'Logs') => {
    if (!mode || mode === (isLogs ? 'Logs' : 'Metrics')) {
      return;
    }
    const base = { ...DEFAULT_QUERY, ...DEFAULT_LOGS_QUERY, ...query };
    if (mode === 'Logs') {
      const language = (base as CloudWatchLogsQuery).queryLanguage ?? LogsQueryLanguage.CWLI;
      props.onChange({ ...base, queryMode: 'Logs', expression: DEFAULT_LOGS_EXPRESSION[language] } as unknown as CloudWatchQuery);
    } else {
      props.onChange({ ...base, queryMode: 'Metrics', expression: '' } as CloudWatchQuery);
    }
  };

  return (
    <>
      <InlineFieldRow>
        <InlineField label="Query mode" labelWidth={LABEL_WIDTH}>
          <RadioButtonGroup size="sm" options={modeOptions} value={isLogs ? 'Logs' : 'Metrics'} onChange={switchMode} />
        </InlineField>
      </InlineFieldRow>
      {isLogs ? (
        <LogsQueryEditor
          datasource={props.datasource}
          query={query as CloudWatchLogsQuery}
          onChange={(q) => props.onChange(q as unknown as CloudWatchQuery)}
          onRunQuery={props.onRunQuery}
        />
      ) : (
        <QueryEditor {...props} />
      )}
    </>
  );
}
