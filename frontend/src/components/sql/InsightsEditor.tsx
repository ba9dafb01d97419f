import React from 'react';
import { Alert, InlineField, InlineFieldRow, TextArea } from '@grafana/ui';

import type { DataSource } from '../../datasource';
import { CloudWatchQuery, MetricEditorMode } from '../../types';
import { SQLBuilderEditor, withSql } from './SQLBuilderEditor';
import { parseSql } from './sqlParser';
import { renderSql } from './sqlGenerator';

export interface ModeSwitch {
  query: CloudWatchQuery;
  /** Set when the switch to the builder was refused: why, for the code editor to show. */
  note?: string;
}

/**
 * Builder ↔ code for a Metrics Insights query. To code: the builder's SQL text is kept as is. To the builder:
 * text the builder wrote itself (or none) keeps the `sql` model; other text is read back into a model when the
 * builder can show it (sqlParser.ts) and the text is re-rendered from that model; otherwise the query stays in
 * code mode, unchanged, with the reason. (Grafana's editor instead asks to discard the code edits.)
 */
export function switchInsightsMode(query: CloudWatchQuery, mode: MetricEditorMode): ModeSwitch {
  if (mode === MetricEditorMode.Code) {
    return { query: { ...query, metricEditorMode: MetricEditorMode.Code } };
  }
  const text = query.sqlExpression?.trim() ?? '';
  const builderText = query.sql ? renderSql(query.sql, query.accountId) : undefined;
  if (!text || text === builderText) {
    return { query: { ...query, metricEditorMode: MetricEditorMode.Builder } };
  }
  const parsed = parseSql(text);
  if (!parsed.ok) {
    return {
      query: { ...query, metricEditorMode: MetricEditorMode.Code },
      note: `The builder cannot show this query: ${parsed.reason}. It stays in code mode.`,
    };
  }
  return { query: withSql({ ...query, metricEditorMode: MetricEditorMode.Builder }, parsed.sql) };
}

export interface Props {
  datasource: DataSource;
  query: CloudWatchQuery;
  onChange: (query: CloudWatchQuery) => void;
  onRunQuery: () => void;
  note?: string;
}

export function InsightsEditor({ datasource, query, onChange, onRunQuery, note }: Props) {
  if (query.metricEditorMode !== MetricEditorMode.Code) {
    return <SQLBuilderEditor datasource={datasource} query={query} onChange={onChange} />;
  }
  return (
    <>
      {note && (
        <Alert severity="info" title="Code mode" data-testid="cw-sql-builder-note">
          {note}
        </Alert>
      )}
      <InlineFieldRow>
        <InlineField label="SQL" labelWidth={16} grow tooltip="CloudWatch Metrics Insights query">
          <TextArea
            id="cw-sql"
            aria-label="SQL expression"
            rows={4}
            placeholder={'SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId)'}
            value={query.sqlExpression ?? ''}
            onChange={(e) => onChange({ ...query, sqlExpression: e.currentTarget.value })}
            onBlur={onRunQuery}
          />
        </InlineField>
      </InlineFieldRow>
    </>
  );
}
