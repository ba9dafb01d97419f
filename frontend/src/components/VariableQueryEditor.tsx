import React, { useEffect, useMemo, useState } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { Alert, Button, IconButton, InlineField, InlineFieldRow, Input, Select, TagsInput } from '@grafana/ui';

import type { Account, DataSource } from '../datasource';
import { migrateVariableQuery } from '../migrations';
import {
  CloudWatchJsonData,
  CloudWatchQuery,
  DEFAULT_VARIABLE_QUERY,
  DimensionFilters,
  Dimensions,
  MultiFilters,
  VARIABLE_QUERY_REF_ID,
  VariableQuery,
  VariableQueryType,
} from '../types';
import { toOptions, useOptions, withCurrent } from './options';
import { DimensionsEditor, LABEL_WIDTH } from './QueryEditor';

export type VariableEditorProps = QueryEditorProps<DataSource, CloudWatchQuery, CloudWatchJsonData, VariableQuery>;

const T = VariableQueryType;

const queryTypeOptions: Array<SelectableValue<VariableQueryType>> = [
  { value: T.Regions, label: 'Regions' },
  { value: T.Namespaces, label: 'Namespaces' },
  { value: T.Metrics, label: 'Metrics' },
  { value: T.DimensionKeys, label: 'Dimension Keys' },
  { value: T.DimensionValues, label: 'Dimension Values' },
  { value: T.EBSVolumeIDs, label: 'EBS Volume IDs' },
  { value: T.EC2InstanceAttributes, label: 'EC2 Instance Attributes' },
  { value: T.ResourceArns, label: 'Resource ARNs' },
  { value: T.Statistics, label: 'Statistics' },
  { value: T.Accounts, label: 'Accounts' },
  { value: T.LogGroups, label: 'Log Groups' },
];

const WITH_REGION = [
  T.Metrics,
  T.DimensionKeys,
  T.DimensionValues,
  T.EBSVolumeIDs,
  T.EC2InstanceAttributes,
  T.ResourceArns,
  T.Accounts,
  T.LogGroups,
];
const WITH_NAMESPACE = [T.Metrics, T.DimensionKeys, T.DimensionValues];

interface SelectRowProps {
  label: string;
  id: string;
  value?: string;
  options: Array<SelectableValue<string>>;
  loading?: boolean;
  placeholder?: string;
  tooltip?: string;
  clearable?: boolean;
  /** Free text (custom values, variables); default true. */
  custom?: boolean;
  /** Why the options could not be loaded. */
  error?: string;
  onChange: (value: string) => void;
}

function SelectRow(props: SelectRowProps) {
  const { label, id, value, options, loading, placeholder, tooltip, clearable, custom = true, error, onChange } = props;
  return (
    <InlineFieldRow>
      <InlineField
        label={label}
        labelWidth={LABEL_WIDTH}
        tooltip={tooltip}
        invalid={!!error}
        error={error && `Could not load the options: ${error}`}
      >
        <Select
          inputId={id}
          aria-label={label}
          width={40}
          allowCustomValue={custom}
          isClearable={clearable}
          isLoading={loading}
          placeholder={placeholder}
          value={value || null}
          options={withCurrent(options, value)}
          onChange={(v) => onChange(v?.value ?? '')}
        />
      </InlineField>
    </InlineFieldRow>
  );
}

/** Text field that reports its value on blur (each change re-runs the variable query in Grafana). */
interface TextRowProps {
  label: string;
  id: string;
  value: string;
  placeholder?: string;
  tooltip?: string;
  onChange: (value: string) => void;
}

function TextRow(props: TextRowProps) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  return (
    <InlineFieldRow>
      <InlineField label={props.label} labelWidth={LABEL_WIDTH} tooltip={props.tooltip}>
        <Input
          id={props.id}
          aria-label={props.label}
          width={40}
          placeholder={props.placeholder}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          onBlur={() => text !== props.value && props.onChange(text)}
        />
      </InlineField>
    </InlineFieldRow>
  );
}

interface FilterRow {
  key: string;
  values: string[];
}

const toFilterRows = (filters?: MultiFilters): FilterRow[] =>
  Object.entries(filters ?? {}).map(([key, v]) => ({ key, values: Array.isArray(v) ? v : v ? [String(v)] : [] }));

const toMultiFilters = (rows: FilterRow[]): MultiFilters =>
  Object.fromEntries(rows.filter((r) => r.key).map((r) => [r.key, r.values]));

/** Rows of `name = [values]` (EC2 filters, tags). Keys are reported on blur, values when a tag is added/removed. */
interface MultiFilterEditorProps {
  label: string;
  /** Names the rows' controls: "<name> key 1", "<name> values 1", "Add <name>". */
  name: string;
  tooltip?: string;
  filters?: MultiFilters;
  onChange: (filters: MultiFilters) => void;
}

function MultiFilterEditor(props: MultiFilterEditorProps) {
  const { label, name } = props;
  const [rows, setRows] = useState<FilterRow[]>(() => toFilterRows(props.filters));
  const external = JSON.stringify(props.filters ?? {});
  useEffect(() => {
    if (JSON.stringify(toMultiFilters(rows)) !== external) {
      setRows(toFilterRows(props.filters));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [external]);
  const update = (next: FilterRow[]) => {
    setRows(next);
    const filters = toMultiFilters(next);
    if (JSON.stringify(filters) !== external) {
      props.onChange(filters);
    }
  };
  const setRow = (i: number, row: FilterRow) => rows.map((old, j) => (j === i ? row : old));

  return (
    <>
      {rows.map((row, i) => (
        <InlineFieldRow key={i}>
          <InlineField
            label={i === 0 ? label : ''}
            labelWidth={LABEL_WIDTH}
            tooltip={i === 0 ? props.tooltip : undefined}
          >
            <Input
              aria-label={`${name} key ${i + 1}`}
              width={28}
              placeholder="name"
              value={row.key}
              onChange={(e) => setRows(setRow(i, { ...row, key: e.currentTarget.value }))}
              onBlur={() => update(rows)}
            />
          </InlineField>
          <InlineField label="=" transparent>
            <div role="group" aria-label={`${name} values ${i + 1}`}>
              <TagsInput
                placeholder="value, Enter to add"
                width={32}
                addOnBlur
                tags={row.values}
                onChange={(values) => update(setRow(i, { ...row, values }))}
              />
            </div>
          </InlineField>
          <IconButton
            name="trash-alt"
            aria-label={`Remove ${name} ${i + 1}`}
            onClick={() => update(rows.filter((_, j) => j !== i))}
          />
        </InlineFieldRow>
      ))}
      <InlineFieldRow>
        <InlineField
          label={rows.length ? '' : label}
          labelWidth={LABEL_WIDTH}
          tooltip={rows.length ? undefined : props.tooltip}
        >
          <Button
            variant="secondary"
            size="sm"
            icon="plus"
            aria-label={`Add ${name}`}
            onClick={() => setRows([...rows, { key: '', values: [] }])}
          >
            Add {name}
          </Button>
        </InlineField>
      </InlineFieldRow>
    </>
  );
}

const toDimensions = (filters?: DimensionFilters): Dimensions =>
  Object.fromEntries(
    Object.entries(filters ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : v ? [String(v)] : []])
  );

/** Editor of a "Query" template variable: the query type, then only the fields that type uses. */
export function VariableQueryEditor(props: VariableEditorProps) {
  const { datasource } = props;
  const [query, migrationError] = useMemo((): [VariableQuery, string] => {
    try {
      return [migrateVariableQuery(props.query), ''];
    } catch (e) {
      return [{ ...DEFAULT_VARIABLE_QUERY }, e instanceof Error ? e.message : String(e)];
    }
  }, [props.query]);
  const change = (patch: Partial<VariableQuery>) =>
    props.onChange({ ...query, ...patch, refId: query.refId || VARIABLE_QUERY_REF_ID });

  const type = query.queryType;
  const region = query.region || 'default';
  const hasRegion = WITH_REGION.includes(type);
  const hasNamespace = WITH_NAMESPACE.includes(type);
  const isDimensionValues = type === T.DimensionValues;
  const variables = datasource.getVariables();
  const withVariables = (values: string[]) => toOptions([...values, ...variables]);

  // Option lists are only fetched for the fields the query type shows.
  const none = <V,>(): Promise<V[]> => Promise.resolve([]);
  const regions = useOptions(() => (hasRegion ? datasource.getRegions() : none<string>()), [hasRegion]);
  const namespaces = useOptions(() => (hasNamespace ? datasource.getNamespaces() : none<string>()), [hasNamespace]);
  const metrics = useOptions(
    () => (isDimensionValues ? datasource.getMetrics(region, query.namespace) : none<string>()),
    [isDimensionValues, region, query.namespace]
  );
  const keys = useOptions(
    () => (isDimensionValues ? datasource.getDimensionKeys(region, query.namespace, query.metricName) : none<string>()),
    [isDimensionValues, region, query.namespace, query.metricName]
  );
  // Only a monitoring account (cross-account observability) lists accounts; otherwise the field stays hidden.
  const accounts = useOptions(
    () => (hasNamespace ? datasource.getAccounts(region) : none<Account>()),
    [hasNamespace, region]
  );
  const showAccount = hasNamespace && (accounts.options.length > 0 || !!query.accountId);
  const accountOptions = [
    { label: 'All', value: 'all' },
    ...accounts.options.map((a) => ({ label: a.label ? `${a.label} (${a.id})` : a.id, value: a.id })),
    ...toOptions(variables),
  ];

  const regionOptions = [
    { label: `default${datasource.defaultRegion ? ` (${datasource.defaultRegion})` : ''}`, value: 'default' },
    ...withVariables(regions.options),
  ];

  return (
    <div data-testid="pyaws-cloudwatch-variable-query-editor">
      {migrationError && (
        <Alert severity="warning" title="The stored variable query could not be read">
          {migrationError}
        </Alert>
      )}
      <SelectRow
        label="Query type"
        id="cw-variable-query-type"
        value={type}
        options={queryTypeOptions as Array<SelectableValue<string>>}
        custom={false}
        onChange={(v) => change({ queryType: (v || T.Regions) as VariableQueryType })}
      />
      {hasRegion && (
        <SelectRow
          label="Region"
          id="cw-variable-region"
          value={region}
          options={regionOptions}
          loading={regions.loading}
          error={regions.error}
          tooltip="“default” uses the data source's default region"
          onChange={(v) => change({ region: v || 'default' })}
        />
      )}
      {hasNamespace && (
        <SelectRow
          label="Namespace"
          id="cw-variable-namespace"
          value={query.namespace}
          options={withVariables(namespaces.options)}
          loading={namespaces.loading}
          error={namespaces.error}
          placeholder="Select namespace"
          onChange={(namespace) => change({ namespace, metricName: '', dimensionKey: '', dimensionFilters: {} })}
        />
      )}
      {showAccount && (
        <SelectRow
          label="Account"
          id="cw-variable-account"
          value={query.accountId}
          options={accountOptions}
          loading={accounts.loading}
          placeholder="This account"
          tooltip="Cross-account observability: a source account, or All"
          clearable
          onChange={(accountId) => change({ accountId: accountId || undefined })}
        />
      )}
      {isDimensionValues && (
        <>
          <SelectRow
            label="Metric"
            id="cw-variable-metric"
            value={query.metricName}
            options={withVariables(metrics.options)}
            loading={metrics.loading}
            placeholder="Select metric name"
            onChange={(metricName) => change({ metricName })}
          />
          <SelectRow
            label="Dimension key"
            id="cw-variable-dimension-key"
            value={query.dimensionKey}
            options={withVariables(keys.options)}
            loading={keys.loading}
            placeholder="Select dimension key"
            onChange={(dimensionKey) => change({ dimensionKey })}
          />
          <DimensionsEditor
            datasource={datasource}
            query={{
              region,
              namespace: query.namespace,
              metricName: query.metricName,
              dimensions: toDimensions(query.dimensionFilters),
            }}
            onChange={(dimensionFilters) => change({ dimensionFilters })}
          />
        </>
      )}
      {type === T.LogGroups && (
        <TextRow
          label="Log group prefix"
          id="cw-variable-log-group-prefix"
          value={query.logGroupPrefix ?? ''}
          placeholder="/aws/lambda/"
          tooltip="Only the log groups whose name starts with this; empty lists them all. The values are ARNs."
          onChange={(logGroupPrefix) => change({ logGroupPrefix: logGroupPrefix || undefined })}
        />
      )}
      {type === T.EBSVolumeIDs && (
        <TextRow
          label="Instance ID"
          id="cw-variable-instance-id"
          value={query.instanceID}
          placeholder="i-XXXXXXXXXXXXXXXXX"
          tooltip="A variable with several values gives the volumes of every instance"
          onChange={(instanceID) => change({ instanceID })}
        />
      )}
      {type === T.EC2InstanceAttributes && (
        <>
          <TextRow
            label="Attribute name"
            id="cw-variable-attribute-name"
            value={query.attributeName}
            placeholder="InstanceId"
            tooltip="Attribute or tag to list. Tags are written Tags.<name>."
            onChange={(attributeName) => change({ attributeName })}
          />
          <MultiFilterEditor
            label="Filters"
            name="EC2 filter"
            tooltip="ec2:DescribeInstances filters and their values. Tags are written tag:<name>."
            filters={query.ec2Filters}
            onChange={(ec2Filters) => change({ ec2Filters })}
          />
        </>
      )}
      {type === T.ResourceArns && (
        <>
          <TextRow
            label="Resource type"
            id="cw-variable-resource-type"
            value={query.resourceType}
            placeholder="ec2:instance"
            onChange={(resourceType) => change({ resourceType })}
          />
          <MultiFilterEditor
            label="Tags"
            name="tag"
            tooltip="Tags the resources must carry, with the accepted values"
            filters={query.tags}
            onChange={(tags) => change({ tags })}
          />
        </>
      )}
    </div>
  );
}
