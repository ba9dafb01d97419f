import React from 'react';
import { QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, InlineSwitch, Input } from '@grafana/ui';

import { DataSource } from '../../datasource';
import { CloudWatchAnnotationQuery, CloudWatchJsonData, CloudWatchQuery, DEFAULT_ANNOTATION_QUERY } from '../../types';
import { MetricStatFields, RegionField } from '../MetricStatFields';
import { DimensionsEditor, LABEL_WIDTH } from '../QueryEditor';

export type Props = QueryEditorProps<DataSource, CloudWatchQuery, CloudWatchJsonData>;

/**
 * Dashboard settings → Annotations: CloudWatch alarm state changes. Either the alarms of one metric (namespace,
 * metric, statistic, dimensions, period: DescribeAlarmsForMetric) or, with prefix matching, the alarms whose name
 * and action start with the given prefixes (DescribeAlarms). Emits Grafana CloudWatch's `CloudWatchAnnotationQuery`.
 */
export function AnnotationQueryEditor(props: Props) {
  const { datasource } = props;
  const query = { ...DEFAULT_ANNOTATION_QUERY, ...(props.query as unknown as CloudWatchAnnotationQuery) };
  const change = (patch: Partial<CloudWatchAnnotationQuery>) =>
    props.onChange({ ...query, ...patch } as unknown as CloudWatchQuery);
  const prefix = !!query.prefixMatching;

  return (
    <div data-testid="pyaws-cloudwatch-annotation-editor">
      <InlineFieldRow>
        <RegionField
          datasource={datasource}
          region={query.region}
          onChange={(region) => change({ region })}
          idPrefix="cw-annotation"
        />
      </InlineFieldRow>
      <MetricStatFields datasource={datasource} query={query} onChange={change} idPrefix="cw-annotation" />
      <DimensionsEditor datasource={datasource} query={query} onChange={(dimensions) => change({ dimensions })} />
      <InlineFieldRow>
        <InlineField label="Match exact" labelWidth={LABEL_WIDTH} tooltip="Only alarms whose metric has exactly these dimensions.">
          <InlineSwitch
            id="cw-annotation-match-exact"
            aria-label="Match exact"
            value={query.matchExact !== false}
            onChange={(e) => change({ matchExact: e.currentTarget.checked })}
          />
        </InlineField>
        <InlineField label="Period" labelWidth={10} tooltip="Seconds; the period of the alarms' metric. Empty = any.">
          <Input
            id="cw-annotation-period"
            aria-label="Period"
            width={12}
            placeholder="auto"
            value={query.period ?? ''}
            onChange={(e) => change({ period: e.currentTarget.value })}
          />
        </InlineField>
      </InlineFieldRow>
      <InlineFieldRow>
        <InlineField
          label="By prefix"
          labelWidth={LABEL_WIDTH}
          tooltip="Alarms whose name and action start with these prefixes, instead of the alarms of the metric above."
        >
          <InlineSwitch
            id="cw-annotation-prefix-matching"
            aria-label="Enable prefix matching"
            value={prefix}
            onChange={(e) => change({ prefixMatching: e.currentTarget.checked })}
          />
        </InlineField>
        <InlineField label="Action" labelWidth={10} disabled={!prefix} tooltip="Alarm action prefix, e.g. an SNS topic ARN">
          <Input
            id="cw-annotation-action-prefix"
            aria-label="Action prefix"
            width={32}
            value={query.actionPrefix ?? ''}
            onChange={(e) => change({ actionPrefix: e.currentTarget.value })}
          />
        </InlineField>
        <InlineField label="Alarm name" labelWidth={12} disabled={!prefix}>
          <Input
            id="cw-annotation-alarm-name-prefix"
            aria-label="Alarm name prefix"
            width={28}
            value={query.alarmNamePrefix ?? ''}
            onChange={(e) => change({ alarmNamePrefix: e.currentTarget.value })}
          />
        </InlineField>
      </InlineFieldRow>
    </div>
  );
}
