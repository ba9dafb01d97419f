import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { vi } from 'vitest';

import { QueryEditor } from '../components/QueryEditor';
import { DataSource } from '../datasource';
import { CloudWatchQuery, DEFAULT_QUERY } from '../types';
import { answerFrom, Controlled, FailingRoute, instanceSettings, lastCall, pickOption, setupGrafanaRuntime } from './helpers';

const RESOURCES: Record<string, unknown> = {
  regions: [{ value: { name: 'us-east-1' } }, { value: { name: 'eu-west-1' } }],
  namespaces: [{ value: 'AWS/EC2' }, { value: 'AWS/Lambda' }],
  metrics: [
    { value: { name: 'CPUUtilization', namespace: 'AWS/EC2' } },
    { value: { name: 'NetworkIn', namespace: 'AWS/EC2' } },
  ],
  'dimension-keys': [{ value: 'InstanceId' }, { value: 'AutoScalingGroupName' }],
  'dimension-values': [{ value: 'i-123' }, { value: 'i-456' }],
};

function setup(query: Partial<CloudWatchQuery> = {}, resources = RESOURCES) {
  setupGrafanaRuntime();
  const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));
  // Only the backend fetch is mocked.
  const getResource = vi.spyOn(ds, 'getResource').mockImplementation(answerFrom(resources));
  const onChange = vi.fn();
  const onRunQuery = vi.fn();
  const initial = { refId: 'A', ...(ds.getDefaultQuery as any)(), ...query } as CloudWatchQuery;
  render(
    <Controlled<CloudWatchQuery> initial={initial} onChange={onChange}>
      {(q, change) => <QueryEditor datasource={ds} query={q} onChange={change} onRunQuery={onRunQuery} />}
    </Controlled>
  );
  return { ds, getResource, onChange, onRunQuery };
}

describe('QueryEditor', () => {
  it('builder mode emits the built-in CloudWatch query JSON', async () => {
    const { onChange, getResource } = setup();
    const user = userEvent.setup();

    await pickOption('Region', 'eu-west-1');
    await pickOption('Namespace', 'AWS/EC2');
    await waitFor(() =>
      expect(getResource).toHaveBeenCalledWith('metrics', { region: 'eu-west-1', namespace: 'AWS/EC2' })
    );
    await pickOption('Metric name', 'CPUUtilization');
    await pickOption('Statistic', 'p99');

    await user.click(screen.getByRole('button', { name: 'Add dimension' }));
    await pickOption('Dimension key 1', 'InstanceId');
    await waitFor(() =>
      expect(getResource).toHaveBeenCalledWith(
        'dimension-values',
        expect.objectContaining({
          region: 'eu-west-1',
          namespace: 'AWS/EC2',
          metricName: 'CPUUtilization',
          dimensionKey: 'InstanceId',
          dimensionFilters: '{}',
        })
      )
    );
    await pickOption('Dimension value 1', 'i-123');

    await user.type(screen.getByLabelText('Period'), '300');
    await user.type(screen.getByLabelText('Label'), 'cpu');
    await user.type(screen.getByLabelText('Id'), 'q1');
    await user.click(screen.getByLabelText('Match exact'));

    expect(lastCall<CloudWatchQuery>(onChange)).toEqual({
      refId: 'A',
      queryMode: 'Metrics',
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: ['i-123'] },
      matchExact: false,
      statistic: 'p99',
      period: '300',
      label: 'cpu',
      id: 'q1',
      expression: '',
      sqlExpression: '',
      metricQueryType: 0,
      metricEditorMode: 0,
    });
  });

  it('accepts a free-text statistic and wildcard dimension values', async () => {
    const { onChange } = setup({ namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: { InstanceId: [] } });
    await pickOption('Statistic', 'tm90');
    await pickOption('Dimension value 1', '* (any value)');
    const q = lastCall<CloudWatchQuery>(onChange);
    expect(q.statistic).toBe('tm90');
    expect(q.dimensions).toEqual({ InstanceId: ['*'] });
  });

  it('code mode stores the expression; period stays a string', async () => {
    const { onChange } = setup();
    const user = userEvent.setup();
    await user.click(screen.getByRole('radio', { name: 'Code' }));
    expect(lastCall<CloudWatchQuery>(onChange).metricEditorMode).toBe(1);
    await user.type(screen.getByLabelText('Expression'), 'SUM(METRICS())');
    await user.type(screen.getByLabelText('Period'), '60');
    const q = lastCall<CloudWatchQuery>(onChange);
    expect(q).toMatchObject({ metricQueryType: 0, metricEditorMode: 1, expression: 'SUM(METRICS())', period: '60' });
    expect(typeof q.period).toBe('string');
  });

  it('Metrics Insights stores the SQL in sqlExpression', async () => {
    const { onChange } = setup();
    const user = userEvent.setup();
    await user.click(screen.getByRole('radio', { name: 'Metric Insights' }));
    expect(lastCall<CloudWatchQuery>(onChange).metricQueryType).toBe(1);
    await user.click(screen.getByRole('radio', { name: 'Code' }));
    await user.type(screen.getByLabelText('SQL expression'), 'SELECT AVG(CPUUtilization) FROM "AWS/EC2"');
    expect(lastCall<CloudWatchQuery>(onChange)).toMatchObject({
      metricQueryType: 1,
      sqlExpression: 'SELECT AVG(CPUUtilization) FROM "AWS/EC2"',
    });
  });

  it('failing regions / namespaces routes show their messages by the fields; no built-in region list', async () => {
    setup({}, { ...RESOURCES, regions: new FailingRoute('denied'), namespaces: new FailingRoute('timed out') });
    expect(await screen.findByText('Could not load regions: denied. Type a region or use “default”.')).toBeInTheDocument();
    expect(await screen.findByText('Could not load namespaces: timed out. Type one.')).toBeInTheDocument();
    await userEvent.setup().click(screen.getByLabelText('Region'));
    expect(screen.queryByText('us-west-2')).not.toBeInTheDocument();
  });

  it('fills defaults for a legacy query with a numeric period', async () => {
    const { onChange } = setup({ period: 300 as unknown as string, matchExact: undefined });
    await pickOption('Statistic', 'Sum');
    expect(lastCall<CloudWatchQuery>(onChange)).toMatchObject({ period: '300', matchExact: true, statistic: 'Sum' });
  });
});

describe('DataSource', () => {
  const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));
  const base = { refId: 'A', ...DEFAULT_QUERY } as CloudWatchQuery;

  it('has the built-in default query', () => {
    expect(ds.getDefaultQuery('explore' as any)).toEqual({
      statistic: 'Average',
      period: '',
      matchExact: true,
      region: 'default',
      metricQueryType: 0,
      metricEditorMode: 0,
      queryMode: 'Metrics',
      dimensions: {},
      namespace: '',
      metricName: '',
      id: '',
      expression: '',
      sqlExpression: '',
    });
  });

  it('filterQuery skips incomplete queries', () => {
    expect(ds.filterQuery(base)).toBe(false);
    expect(ds.filterQuery({ ...base, namespace: 'AWS/EC2' })).toBe(false);
    expect(ds.filterQuery({ ...base, namespace: 'AWS/EC2', metricName: 'CPUUtilization' })).toBe(true);
    expect(ds.filterQuery({ ...base, namespace: 'AWS/EC2', metricName: 'CPUUtilization', statistic: '' })).toBe(false);
    expect(ds.filterQuery({ ...base, namespace: 'AWS/EC2', metricName: 'CPUUtilization', region: '' })).toBe(false);
    expect(ds.filterQuery({ ...base, metricEditorMode: 1 })).toBe(false);
    expect(ds.filterQuery({ ...base, metricEditorMode: 1, expression: 'SUM(METRICS())' })).toBe(true);
    expect(ds.filterQuery({ ...base, metricQueryType: 1, metricEditorMode: 1 })).toBe(false);
    expect(ds.filterQuery({ ...base, metricQueryType: 1, metricEditorMode: 1, sqlExpression: 'SELECT 1' })).toBe(true);
  });

  it('reads resources through getResource; a failed regions route is the caller\'s error, not a static list', async () => {
    const spy = vi.spyOn(ds, 'getResource').mockRejectedValueOnce(new Error('down'));
    await expect(ds.getRegions()).rejects.toThrow('down');
    spy.mockResolvedValueOnce([{ value: { name: 'ap-east-2' } }, { value: { name: 'ca-west-1' } }]);
    expect(await ds.getRegions()).toEqual(['ap-east-2', 'ca-west-1']);
    spy.mockResolvedValueOnce([{ value: { name: 'CPUUtilization', namespace: 'AWS/EC2' } }]);
    expect(await ds.getMetrics('default', 'AWS/EC2')).toEqual(['CPUUtilization']);
    expect(spy).toHaveBeenLastCalledWith('metrics', { region: 'us-east-1', namespace: 'AWS/EC2' });
    spy.mockResolvedValueOnce([{ value: 'InstanceId' }]);
    expect(await ds.getDimensionKeys('eu-west-1', 'AWS/EC2', 'CPUUtilization', { A: ['b'] })).toEqual(['InstanceId']);
    expect(spy).toHaveBeenLastCalledWith('dimension-keys', {
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensionFilters: '{"A":["b"]}',
    });
  });
});
