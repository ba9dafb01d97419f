import React from 'react';
import { InlineField, InlineFieldRow, Select } from '@grafana/ui';

import { DataSource } from '../datasource';
import { STANDARD_STATISTICS } from '../types';
import { toOptions, useOptions, withCurrent } from './options';
import { LABEL_WIDTH } from './QueryEditor';

/**
 * Fields shared by the metrics, logs and annotation editors. `idPrefix` keeps input ids apart when several editors
 * share a page (Grafana's query rows, the test harness). Regions and namespaces come only from the backend's
 * `regions`/`namespaces` routes: when a route fails, the field shows the route's message and still takes a typed
 * value (there is no built-in list to fall back on).
 */

export function RegionField(props: {
  datasource: DataSource;
  region: string;
  onChange: (region: string) => void;
  idPrefix?: string;
}) {
  const { datasource, region, idPrefix = 'cw' } = props;
  const regions = useOptions(() => datasource.getRegions(), []);
  const options = withCurrent(
    [
      { label: `default${datasource.defaultRegion ? ` (${datasource.defaultRegion})` : ''}`, value: 'default' },
      ...toOptions([...regions.options, ...datasource.getVariables()]),
    ],
    region
  );
  return (
    <InlineField
      label="Region"
      labelWidth={LABEL_WIDTH}
      tooltip="“default” uses the data source's default region"
      invalid={!!regions.error}
      error={regions.error && `Could not load regions: ${regions.error}. Type a region or use “default”.`}
    >
      <Select
        inputId={`${idPrefix}-region`}
        aria-label="Region"
        width={28}
        allowCustomValue
        isLoading={regions.loading}
        value={region}
        options={options}
        onChange={(v) => props.onChange(v?.value ?? 'default')}
      />
    </InlineField>
  );
}

export interface MetricStat {
  region: string;
  namespace: string;
  metricName?: string;
  statistic?: string;
}

/** Namespace, metric name and statistic, with options from the backend's resource routes and dashboard variables. */
export function MetricStatFields(props: {
  datasource: DataSource;
  query: MetricStat;
  onChange: (patch: Partial<MetricStat> & { dimensions?: {} }) => void;
  idPrefix?: string;
}) {
  const { datasource, query, onChange, idPrefix = 'cw' } = props;
  const variables = datasource.getVariables();
  const namespaces = useOptions(() => datasource.getNamespaces(), []);
  const metrics = useOptions(() => datasource.getMetrics(query.region, query.namespace), [query.region, query.namespace]);
  return (
    <InlineFieldRow>
      <InlineField
        label="Namespace"
        labelWidth={LABEL_WIDTH}
        invalid={!!namespaces.error}
        error={namespaces.error && `Could not load namespaces: ${namespaces.error}. Type one.`}
      >
        <Select
          inputId={`${idPrefix}-namespace`}
          aria-label="Namespace"
          width={28}
          allowCustomValue
          isLoading={namespaces.loading}
          placeholder="Select namespace"
          value={query.namespace || null}
          options={withCurrent(toOptions([...namespaces.options, ...variables]), query.namespace)}
          onChange={(v) => onChange({ namespace: v?.value ?? '', metricName: '', dimensions: {} })}
        />
      </InlineField>
      <InlineField
        label="Metric name"
        labelWidth={14}
        invalid={!!metrics.error}
        error={metrics.error && `Could not load metrics: ${metrics.error}. Type one.`}
      >
        <Select
          inputId={`${idPrefix}-metric-name`}
          aria-label="Metric name"
          width={32}
          allowCustomValue
          isLoading={metrics.loading}
          placeholder="Select metric name"
          value={query.metricName || null}
          options={withCurrent(toOptions([...metrics.options, ...variables]), query.metricName)}
          onChange={(v) => onChange({ metricName: v?.value ?? '' })}
        />
      </InlineField>
      <InlineField label="Statistic" labelWidth={12}>
        <Select
          inputId={`${idPrefix}-statistic`}
          aria-label="Statistic"
          width={20}
          allowCustomValue
          value={query.statistic}
          options={withCurrent(toOptions([...STANDARD_STATISTICS, ...variables]), query.statistic)}
          onChange={(v) => onChange({ statistic: v?.value ?? 'Average' })}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
