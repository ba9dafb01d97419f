import React, { useEffect, useMemo, useState } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import {
  Button,
  IconButton,
  InlineField,
  InlineFieldRow,
  InlineSwitch,
  Input,
  MultiSelect,
  RadioButtonGroup,
  Select,
  TextArea,
} from '@grafana/ui';

import { DataSource } from '../datasource';
import { MetricStatFields, RegionField } from './MetricStatFields';
import {
  CloudWatchJsonData,
  CloudWatchQuery,
  DEFAULT_QUERY,
  Dimensions,
  MetricEditorMode,
  MetricQueryType,
} from '../types';
import { toOptions, useOptions, withCurrent } from './options';
import { InsightsEditor, switchInsightsMode } from './sql/InsightsEditor';

export type Props = QueryEditorProps<DataSource, CloudWatchQuery, CloudWatchJsonData>;

export const LABEL_WIDTH = 16;

const queryTypeOptions: Array<SelectableValue<MetricQueryType>> = [
  { label: 'Metric Search', value: MetricQueryType.Search },
  { label: 'Metric Insights', value: MetricQueryType.Insights },
];

const editorModeOptions: Array<SelectableValue<MetricEditorMode>> = [
  { label: 'Builder', value: MetricEditorMode.Builder },
  { label: 'Code', value: MetricEditorMode.Code },
];

export { toOptions, useOptions, withCurrent } from './options';

/** Fill in defaults so the emitted JSON always has the full built-in CloudWatch shape. */
export function normalizeQuery(query: CloudWatchQuery): CloudWatchQuery {
  const q = { ...DEFAULT_QUERY, ...query } as CloudWatchQuery;
  q.dimensions = { ...(query.dimensions ?? {}) };
  q.period = q.period === undefined || q.period === null ? '' : String(q.period);
  q.matchExact = q.matchExact ?? true;
  return q;
}

interface DimensionRow {
  key: string;
  values: string[];
}

const toRows = (dims?: Dimensions): DimensionRow[] =>
  Object.entries(dims ?? {}).map(([key, v]) => ({ key, values: Array.isArray(v) ? v : v ? [String(v)] : [] }));

const toDimensions = (rows: DimensionRow[]): Dimensions => {
  const out: Dimensions = {};
  for (const r of rows) {
    if (r.key) {
      out[r.key] = r.values;
    }
  }
  return out;
};

/** What the dimension rows need from a query (also used by the variable editor's dimension filters). */
type DimensionScope = Pick<CloudWatchQuery, 'region' | 'namespace' | 'metricName' | 'dimensions'>;

interface DimensionRowEditorProps {
  datasource: DataSource;
  query: DimensionScope;
  row: DimensionRow;
  index: number;
  otherFilters: Dimensions;
  onChange: (row: DimensionRow) => void;
  onRemove: () => void;
}

function DimensionRowEditor({ datasource, query, row, index, otherFilters, onChange, onRemove }: DimensionRowEditorProps) {
  const filtersJson = JSON.stringify(otherFilters);
  const keys = useOptions(
    () => datasource.getDimensionKeys(query.region, query.namespace, query.metricName, otherFilters),
    [query.region, query.namespace, query.metricName, filtersJson]
  );
  const values = useOptions(
    () => datasource.getDimensionValues(query.region, query.namespace, query.metricName, row.key, otherFilters),
    [query.region, query.namespace, query.metricName, row.key, filtersJson]
  );
  const valueOptions = [{ label: '* (any value)', value: '*' }, ...toOptions([...values.options, ...datasource.getVariables()])];
  for (const v of row.values) {
    if (!valueOptions.some((o) => o.value === v)) {
      valueOptions.push({ label: v, value: v });
    }
  }
  return (
    <InlineFieldRow>
      <InlineField label={index === 0 ? 'Dimensions' : ''} labelWidth={LABEL_WIDTH}>
        <Select
          inputId={`dimension-key-${index}`}
          aria-label={`Dimension key ${index + 1}`}
          width={28}
          allowCustomValue
          isLoading={keys.loading}
          placeholder="key"
          value={row.key ? { label: row.key, value: row.key } : null}
          options={withCurrent(toOptions([...keys.options, ...datasource.getVariables()]), row.key)}
          onChange={(v) => onChange({ key: v?.value ?? '', values: [] })}
        />
      </InlineField>
      <InlineField label="=" transparent>
        <MultiSelect
          inputId={`dimension-value-${index}`}
          aria-label={`Dimension value ${index + 1}`}
          width={40}
          allowCustomValue
          isLoading={values.loading}
          placeholder="value"
          disabled={!row.key}
          value={row.values}
          options={valueOptions}
          onChange={(selected) => onChange({ ...row, values: selected.map((s) => s.value!).filter(Boolean) })}
        />
      </InlineField>
      <IconButton name="trash-alt" aria-label={`Remove dimension ${index + 1}`} onClick={onRemove} tooltip="Remove" />
    </InlineFieldRow>
  );
}

export function DimensionsEditor({
  datasource,
  query,
  onChange,
}: {
  datasource: DataSource;
  query: DimensionScope;
  onChange: (d: Dimensions) => void;
}) {
  const [rows, setRows] = useState<DimensionRow[]>(() => toRows(query.dimensions));
  const external = JSON.stringify(query.dimensions ?? {});
  // Re-sync when the query's dimensions change from outside (e.g. query history, code → builder).
  useEffect(() => {
    if (JSON.stringify(toDimensions(rows)) !== external) {
      setRows(toRows(query.dimensions));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [external]);

  const update = (next: DimensionRow[]) => {
    setRows(next);
    onChange(toDimensions(next));
  };

  return (
    <>
      {rows.map((row, i) => {
        const others = toDimensions(rows.filter((_, j) => j !== i));
        return (
          <DimensionRowEditor
            key={i}
            datasource={datasource}
            query={query}
            row={row}
            index={i}
            otherFilters={others}
            onChange={(r) => update(rows.map((old, j) => (j === i ? r : old)))}
            onRemove={() => update(rows.filter((_, j) => j !== i))}
          />
        );
      })}
      <InlineFieldRow>
        <InlineField label={rows.length ? '' : 'Dimensions'} labelWidth={LABEL_WIDTH}>
          <Button
            variant="secondary"
            size="sm"
            icon="plus"
            aria-label="Add dimension"
            onClick={() => setRows([...rows, { key: '', values: [] }])}
          >
            Add dimension
          </Button>
        </InlineField>
      </InlineFieldRow>
    </>
  );
}

export function QueryEditor(props: Props) {
  const { datasource, onRunQuery } = props;
  const query = useMemo(() => normalizeQuery(props.query), [props.query]);
  const change = (patch: Partial<CloudWatchQuery>) => props.onChange({ ...query, ...patch });

  const isInsights = query.metricQueryType === MetricQueryType.Insights;
  const isCode = query.metricEditorMode === MetricEditorMode.Code;
  const [insightsNote, setInsightsNote] = useState<string>();
  const idInvalid = !!query.id && !/^[a-z][a-zA-Z0-9_]*$/.test(query.id);

  return (
    <div data-testid="pyaws-cloudwatch-query-editor">
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={LABEL_WIDTH}>
          <RadioButtonGroup
            size="sm"
            options={queryTypeOptions}
            value={query.metricQueryType ?? MetricQueryType.Search}
            onChange={(v) => change({ metricQueryType: v })}
          />
        </InlineField>
        <InlineField label="Editor" labelWidth={10}>
          <RadioButtonGroup
            size="sm"
            options={editorModeOptions}
            value={query.metricEditorMode ?? MetricEditorMode.Builder}
            onChange={(v) => {
              if (!isInsights) {
                return change({ metricEditorMode: v });
              }
              const switched = switchInsightsMode(query, v);
              setInsightsNote(switched.note);
              props.onChange(switched.query);
            }}
          />
        </InlineField>
      </InlineFieldRow>

      <InlineFieldRow>
        <RegionField datasource={datasource} region={query.region} onChange={(region) => change({ region })} />
      </InlineFieldRow>

      {!isInsights && !isCode && (
        <>
          <MetricStatFields datasource={datasource} query={query} onChange={change} />
          <DimensionsEditor datasource={datasource} query={query} onChange={(dimensions) => change({ dimensions })} />
          <InlineFieldRow>
            <InlineField
              label="Match exact"
              labelWidth={LABEL_WIDTH}
              tooltip="Only show metrics that exactly match all defined dimension names."
            >
              <InlineSwitch
                id="cw-match-exact"
                aria-label="Match exact"
                value={query.matchExact !== false}
                onChange={(e) => {
                  change({ matchExact: e.currentTarget.checked });
                }}
              />
            </InlineField>
          </InlineFieldRow>
        </>
      )}

      {!isInsights && isCode && (
        <InlineFieldRow>
          <InlineField label="Expression" labelWidth={LABEL_WIDTH} grow tooltip="Math expression or SEARCH(...)">
            <TextArea
              id="cw-expression"
              aria-label="Expression"
              rows={4}
              placeholder={`SEARCH('{AWS/EC2,InstanceId} MetricName="CPUUtilization"', 'Average', 300)`}
              value={query.expression ?? ''}
              onChange={(e) => change({ expression: e.currentTarget.value })}
              onBlur={onRunQuery}
            />
          </InlineField>
        </InlineFieldRow>
      )}

      {isInsights && (
        <InsightsEditor
          datasource={datasource}
          query={query}
          onChange={props.onChange}
          onRunQuery={onRunQuery}
          note={insightsNote}
        />
      )}

      <InlineFieldRow>
        <InlineField label="Period" labelWidth={LABEL_WIDTH} tooltip="Seconds, e.g. 300. Empty or “auto” = automatic.">
          <Input
            id="cw-period"
            aria-label="Period"
            width={16}
            placeholder="auto"
            value={query.period ?? ''}
            onChange={(e) => change({ period: String(e.currentTarget.value) })}
            onBlur={onRunQuery}
          />
        </InlineField>
        <InlineField label="Label" labelWidth={8}>
          <Input
            id="cw-label"
            aria-label="Label"
            width={28}
            placeholder="auto"
            value={query.label ?? ''}
            onChange={(e) => change({ label: e.currentTarget.value })}
            onBlur={onRunQuery}
          />
        </InlineField>
        <InlineField
          label="Id"
          labelWidth={6}
          invalid={idInvalid}
          error="Must start with a lowercase letter; letters, digits and underscores only"
          tooltip="Used to reference this query in math expressions"
        >
          <Input
            id="cw-id"
            aria-label="Id"
            width={16}
            value={query.id ?? ''}
            onChange={(e) => change({ id: e.currentTarget.value })}
            onBlur={onRunQuery}
          />
        </InlineField>
      </InlineFieldRow>
    </div>
  );
}
