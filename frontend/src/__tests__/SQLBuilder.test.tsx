import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { vi } from 'vitest';

import { QueryEditor } from '../components/QueryEditor';
import { errorText } from '../components/options';
import { DataSource } from '../datasource';
import { CloudWatchQuery, MetricEditorMode, MetricQueryType } from '../types';
import { Controlled, instanceSettings, lastCall, pickOption, setupGrafanaRuntime } from './helpers';

const RESOURCES: Record<string, unknown> = {
  regions: [{ value: { name: 'us-east-1' } }, { value: { name: 'mx-central-1' } }],
  namespaces: [{ value: 'AWS/EC2' }, { value: 'AWS/ElastiCache' }],
  metrics: [{ value: { name: 'CPUUtilization', namespace: 'AWS/EC2' } }],
  'dimension-keys': [{ value: 'InstanceId' }, { value: 'InstanceType' }],
  'dimension-values': [{ value: 'i-123' }, { value: 'i-456' }],
};

function setup(query: Partial<CloudWatchQuery> = {}, resources = RESOURCES) {
  setupGrafanaRuntime();
  const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));
  const getResource = vi.spyOn(ds, 'getResource').mockImplementation(async (path: string) => {
    const answer = resources[path];
    if (answer instanceof Error) {
      throw answer;
    }
    return answer ?? [];
  });
  const onChange = vi.fn();
  const initial = { refId: 'A', ...(ds.getDefaultQuery as any)(), ...query } as CloudWatchQuery;
  render(
    <Controlled<CloudWatchQuery> initial={initial} onChange={onChange}>
      {(q, change) => <QueryEditor datasource={ds} query={q} onChange={change} onRunQuery={vi.fn()} />}
    </Controlled>
  );
  return { ds, getResource, onChange };
}

const insights = { metricQueryType: MetricQueryType.Insights };

describe('Metrics Insights builder', () => {
  it('builds the sql model and Grafana\'s SQL text from the pickers', async () => {
    const { onChange, getResource } = setup(insights);
    const user = userEvent.setup();
    // A new builder query starts with AVG.
    await waitFor(() => expect(lastCall<CloudWatchQuery>(onChange).sql?.select?.name).toBe('AVG'));

    await pickOption('Namespace', 'AWS/EC2');
    await waitFor(() => expect(getResource).toHaveBeenCalledWith('metrics', { region: 'us-east-1', namespace: 'AWS/EC2' }));
    await pickOption('Metric name', 'CPUUtilization');
    await pickOption('Aggregation', 'MAX');
    await user.click(screen.getByLabelText('With schema'));
    await pickOption('Schema labels', 'InstanceId');

    await user.click(screen.getAllByRole('button', { name: /add/i })[0]);
    await pickOption('Filter key 1', 'InstanceType');
    await pickOption('Filter operator 1', '!=');
    await pickOption('Filter value 1', 't3.micro');

    await user.click(screen.getAllByRole('button', { name: /add/i })[1]);
    await pickOption('Group by 1', 'InstanceId');
    await pickOption('Order by', 'SUM');
    await pickOption('Direction', 'DESC');
    await user.type(screen.getByLabelText('Limit'), '10');

    const q = lastCall<CloudWatchQuery>(onChange);
    expect(q.sqlExpression).toBe(
      `SELECT MAX(CPUUtilization) FROM SCHEMA("AWS/EC2", InstanceId) WHERE InstanceType != 't3.micro' GROUP BY InstanceId ORDER BY SUM() DESC LIMIT 10`
    );
    expect(q).toMatchObject({ metricQueryType: 1, metricEditorMode: 0, namespace: 'AWS/EC2', metricName: 'CPUUtilization' });
    expect(q.sql).toEqual({
      select: { type: 'function', name: 'MAX', parameters: [{ type: 'functionParameter', name: 'CPUUtilization' }] },
      from: {
        type: 'function',
        name: 'SCHEMA',
        parameters: [
          { type: 'functionParameter', name: 'AWS/EC2' },
          { type: 'functionParameter', name: 'InstanceId' },
        ],
      },
      where: {
        type: 'and',
        expressions: [
          { type: 'operator', property: { type: 'string', name: 'InstanceType' }, operator: { name: '!=', value: 't3.micro' } },
        ],
      },
      groupBy: { type: 'and', expressions: [{ type: 'groupBy', property: { type: 'string', name: 'InstanceId' } }] },
      orderBy: { type: 'function', name: 'SUM', parameters: [] },
      orderByDirection: 'DESC',
      limit: 10,
    });
    expect(screen.getByTestId('cw-sql-preview')).toHaveTextContent(q.sqlExpression!);
    // The filter value picker asked the dimension-values route for the key chosen.
    expect(getResource).toHaveBeenCalledWith('dimension-values', expect.objectContaining({ dimensionKey: 'InstanceType' }));
  }, 90_000); // a dozen pickers: slow on a loaded machine, not a speed check


  it('code → builder reads the SQL back; builder → code keeps the text', async () => {
    const sqlText = "SELECT SUM(NetworkIn) FROM \"AWS/EC2\" WHERE InstanceId = 'i-123' GROUP BY InstanceType";
    const { onChange } = setup({ ...insights, metricEditorMode: MetricEditorMode.Code, sqlExpression: sqlText });
    const user = userEvent.setup();
    await user.click(screen.getByRole('radio', { name: 'Builder' }));
    const q = lastCall<CloudWatchQuery>(onChange);
    expect(q.metricEditorMode).toBe(MetricEditorMode.Builder);
    expect(q.sqlExpression).toBe(sqlText);
    expect(q.sql?.groupBy?.expressions).toEqual([{ type: 'groupBy', property: { type: 'string', name: 'InstanceType' } }]);
    expect(screen.getByLabelText('Filter key 1')).toBeInTheDocument();
    expect(screen.getByText('NetworkIn')).toBeInTheDocument();

    await user.click(screen.getByRole('radio', { name: 'Code' }));
    expect(lastCall<CloudWatchQuery>(onChange)).toMatchObject({ metricEditorMode: MetricEditorMode.Code, sqlExpression: sqlText });
    expect(screen.getByLabelText('SQL expression')).toHaveValue(sqlText);
  });

  it('SQL the builder cannot show stays in code mode, unchanged, with the reason', async () => {
    const sqlText = "SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" WHERE InstanceId = 'a' OR InstanceId = 'b'";
    const { onChange } = setup({ ...insights, metricEditorMode: MetricEditorMode.Code, sqlExpression: sqlText });
    const user = userEvent.setup();
    await user.click(screen.getByRole('radio', { name: 'Builder' }));
    expect(lastCall<CloudWatchQuery>(onChange)).toMatchObject({ metricEditorMode: MetricEditorMode.Code, sqlExpression: sqlText });
    expect(screen.getByTestId('cw-sql-builder-note')).toHaveTextContent('OR between filters');
    expect(screen.getByLabelText('SQL expression')).toHaveValue(sqlText);
  });
});

describe('pickers load from the routes', () => {
  it('regions come from the regions route; namespaces from the namespaces route; custom values allowed', async () => {
    const { onChange, getResource } = setup();
    await waitFor(() => expect(getResource).toHaveBeenCalledWith('regions', undefined));
    expect(getResource).toHaveBeenCalledWith('namespaces', undefined);
    await pickOption('Region', 'mx-central-1');
    expect(lastCall<CloudWatchQuery>(onChange).region).toBe('mx-central-1');
    await pickOption('Namespace', 'AWS/ElastiCache');
    expect(lastCall<CloudWatchQuery>(onChange).namespace).toBe('AWS/ElastiCache');
    await pickOption('Namespace', 'MyCompany/Checkout');
    expect(lastCall<CloudWatchQuery>(onChange).namespace).toBe('MyCompany/Checkout');
  });

  it('a failing route shows its error; the region picker still offers "default" and takes typed regions', async () => {
    const failing = { ...RESOURCES, regions: new Error('regions route failed'), namespaces: new Error('no namespaces') };
    const { onChange } = setup({}, failing);
    expect(await screen.findByText(/Could not load regions: regions route failed/)).toBeInTheDocument();
    expect(await screen.findByText(/Could not load namespaces: no namespaces/)).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(screen.getByLabelText('Region'));
    // Only "default": no built-in region list behind the failed route.
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['default (us-east-1)']);
    await user.keyboard('{Escape}');
    await pickOption('Region', 'ap-southeast-7');
    expect(lastCall<CloudWatchQuery>(onChange).region).toBe('ap-southeast-7');
  });

  it('a wildcard dimension value filters the other rows\' keys and values through the routes', async () => {
    const { getResource } = setup({
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { AutoScalingGroupName: ['*'], InstanceId: [] },
    });
    await waitFor(() =>
      expect(getResource).toHaveBeenCalledWith(
        'dimension-values',
        expect.objectContaining({ dimensionKey: 'InstanceId', dimensionFilters: '{"AutoScalingGroupName":["*"]}' })
      )
    );
    expect(getResource).toHaveBeenCalledWith(
      'dimension-keys',
      expect.objectContaining({ dimensionFilters: '{"AutoScalingGroupName":["*"]}' })
    );
  });
});

describe('errorText: what a failed route says', () => {
  it.each([
    [{ status: 400, data: { Message: 'region: unknown region "xx-1"', Error: 'bad', StatusCode: 400 } }, 'region: unknown region "xx-1"'],
    [{ status: 500, data: { message: 'Plugin unavailable' } }, 'Plugin unavailable'],
    [{ status: 400, data: 'unexpected error access denied' }, 'unexpected error access denied'],
    [new Error('network down'), 'network down'],
  ])('%j → %s', (error, text) => {
    expect(errorText(error)).toBe(text);
  });
});
