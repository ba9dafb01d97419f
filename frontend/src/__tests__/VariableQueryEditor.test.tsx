import React from 'react';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { vi } from 'vitest';

import { VariableQueryEditor } from '../components/VariableQueryEditor';
import { DataSource } from '../datasource';
import { DEFAULT_VARIABLE_QUERY, VariableQuery, VariableQueryType } from '../types';
import { Controlled, instanceSettings, lastCall, pickOption, setupGrafanaRuntime } from './helpers';

const T = VariableQueryType;

const RESOURCES: Record<string, unknown> = {
  regions: [{ value: { name: 'us-east-1' } }, { value: { name: 'eu-west-1' } }],
  namespaces: [{ value: 'AWS/EC2' }, { value: 'AWS/Lambda' }],
  metrics: [{ value: { name: 'CPUUtilization', namespace: 'AWS/EC2' } }],
  'dimension-keys': [{ value: 'InstanceId' }, { value: 'AutoScalingGroupName' }],
  'dimension-values': [{ value: 'i-123' }, { value: 'asg-1' }],
  accounts: null,
};

function setup(query: Partial<VariableQuery> | string = {}, resources = RESOURCES) {
  setupGrafanaRuntime();
  const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));
  const getResource = vi.spyOn(ds, 'getResource').mockImplementation(async (path: string) => {
    if (resources[path] instanceof Error) {
      throw resources[path];
    }
    return path in resources ? resources[path] : [];
  });
  const onChange = vi.fn();
  const initial = typeof query === 'string' ? query : { ...DEFAULT_VARIABLE_QUERY, ...query };
  render(
    <Controlled<any> initial={initial} onChange={onChange}>
      {(q, change) => <VariableQueryEditor datasource={ds} query={q} onChange={change} onRunQuery={() => {}} />}
    </Controlled>
  );
  return { ds, getResource, onChange };
}

// The fields each query type shows (and, by omission, the ones it hides).
const FIELDS = [
  'Region',
  'Namespace',
  'Metric',
  'Dimension key',
  'Instance ID',
  'Attribute name',
  'Resource type',
  'Log group prefix',
];
const BUTTONS = ['Add dimension', 'Add EC2 filter', 'Add tag'];
const EXPECTED: Record<VariableQueryType, string[]> = {
  [T.Regions]: [],
  [T.Namespaces]: [],
  [T.Statistics]: [],
  [T.Accounts]: ['Region'],
  [T.Metrics]: ['Region', 'Namespace'],
  [T.DimensionKeys]: ['Region', 'Namespace'],
  [T.DimensionValues]: ['Region', 'Namespace', 'Metric', 'Dimension key', 'Add dimension'],
  [T.EBSVolumeIDs]: ['Region', 'Instance ID'],
  [T.EC2InstanceAttributes]: ['Region', 'Attribute name', 'Add EC2 filter'],
  [T.ResourceArns]: ['Region', 'Resource type', 'Add tag'],
  [T.LogGroups]: ['Region', 'Log group prefix'],
};

describe('VariableQueryEditor', () => {
  it('a failing regions or namespaces route shows its error by the field (no built-in list)', async () => {
    setup({ queryType: T.Metrics }, { ...RESOURCES, regions: new Error('denied'), namespaces: new Error('timeout') });
    expect(await screen.findByText('Could not load the options: denied')).toBeInTheDocument();
    expect(await screen.findByText('Could not load the options: timeout')).toBeInTheDocument();
  });

  it.each(Object.entries(EXPECTED))('%s shows only its fields', async (queryType, expected) => {
    setup({ queryType: queryType as VariableQueryType });
    await act(async () => {});
    expect(screen.getByLabelText('Query type')).toBeInTheDocument();
    for (const label of FIELDS) {
      expect(!!screen.queryByLabelText(label)).toBe(expected.includes(label));
    }
    for (const name of BUTTONS) {
      expect(!!screen.queryByRole('button', { name })).toBe(expected.includes(name));
    }
    expect(screen.queryByLabelText('Account')).not.toBeInTheDocument();
  });

  it('dimension values: emits the Grafana CloudWatch variable query', async () => {
    const { onChange, getResource } = setup();
    const user = userEvent.setup();
    expect(screen.queryByLabelText('Region')).not.toBeInTheDocument();

    await pickOption('Query type', 'Dimension Values');
    await pickOption('Region', 'eu-west-1');
    await pickOption('Namespace', 'AWS/EC2');
    await waitFor(() =>
      expect(getResource).toHaveBeenCalledWith('metrics', { region: 'eu-west-1', namespace: 'AWS/EC2' })
    );
    await pickOption('Metric', 'CPUUtilization');
    await pickOption('Dimension key', 'InstanceId');
    await user.click(screen.getByRole('button', { name: 'Add dimension' }));
    await pickOption('Dimension key 1', 'AutoScalingGroupName');
    await pickOption('Dimension value 1', 'asg-1');

    expect(lastCall<VariableQuery>(onChange)).toEqual({
      ...DEFAULT_VARIABLE_QUERY,
      queryType: 'dimensionValues',
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensionKey: 'InstanceId',
      dimensionFilters: { AutoScalingGroupName: ['asg-1'] },
      refId: 'CloudWatchVariableQueryEditor-VariableQuery',
    });

    // A new namespace clears what depended on the old one.
    await pickOption('Namespace', 'AWS/Lambda');
    expect(lastCall<VariableQuery>(onChange)).toMatchObject({
      namespace: 'AWS/Lambda',
      metricName: '',
      dimensionKey: '',
      dimensionFilters: {},
    });
  });

  it('offers "default" and dashboard variables as region; free text is allowed', async () => {
    const variables = vi.spyOn(DataSource.prototype, 'getVariables').mockReturnValue(['$region']);
    const { onChange } = setup({ queryType: T.Metrics, namespace: 'AWS/EC2', region: '' });
    expect(screen.getByText('default (us-east-1)')).toBeInTheDocument();
    await pickOption('Region', '$region');
    expect(lastCall<VariableQuery>(onChange).region).toBe('$region');
    await pickOption('Namespace', 'Custom/App');
    expect(lastCall<VariableQuery>(onChange)).toMatchObject({ queryType: 'metrics', namespace: 'Custom/App' });
    variables.mockRestore();
  });

  it('EC2 instance attributes: attribute name on blur, filters as name = values rows', async () => {
    const { onChange } = setup({ queryType: T.EC2InstanceAttributes });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Attribute name'), 'Tags.Name');
    expect(onChange).not.toHaveBeenCalled();
    await user.tab();
    expect(lastCall<VariableQuery>(onChange).attributeName).toBe('Tags.Name');

    await user.click(screen.getByRole('button', { name: 'Add EC2 filter' }));
    await user.type(screen.getByLabelText('EC2 filter key 1'), 'tag:Team');
    await user.tab();
    const values = within(screen.getByRole('group', { name: 'EC2 filter values 1' })).getByRole('textbox');
    await user.type(values, 'web{Enter}$team{Enter}');
    expect(lastCall<VariableQuery>(onChange)).toMatchObject({
      queryType: 'ec2InstanceAttributes',
      attributeName: 'Tags.Name',
      ec2Filters: { 'tag:Team': ['web', '$team'] },
    });

    await user.click(screen.getByRole('button', { name: 'Remove EC2 filter 1' }));
    expect(lastCall<VariableQuery>(onChange).ec2Filters).toEqual({});
  });

  it('resource ARNs: resource type and tags', async () => {
    const { onChange } = setup({ queryType: T.ResourceArns, tags: { Environment: ['prod'] } });
    const user = userEvent.setup();
    expect(screen.getByLabelText('tag key 1')).toHaveValue('Environment');
    expect(screen.getByText('prod')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Resource type'), 'ec2:instance');
    await user.tab();
    expect(lastCall<VariableQuery>(onChange)).toMatchObject({
      queryType: 'resourceARNs',
      resourceType: 'ec2:instance',
      tags: { Environment: ['prod'] },
    });
  });

  it('log groups: region and a log group prefix', async () => {
    const { onChange } = setup({ queryType: T.LogGroups, region: 'eu-west-1' });
    const user = userEvent.setup();
    expect(screen.getByText('eu-west-1')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Log group prefix'), '/aws/lambda/');
    await user.tab();
    expect(lastCall<VariableQuery>(onChange)).toMatchObject({
      queryType: 'logGroups',
      region: 'eu-west-1',
      logGroupPrefix: '/aws/lambda/',
    });
  });

  it('migrates a legacy string query and emits the object', async () => {
    const { onChange } = setup('ebs_volume_ids(us-east-1, $instance)');
    const user = userEvent.setup();
    expect(screen.getByLabelText('Instance ID')).toHaveValue('$instance');
    expect(screen.getByText('us-east-1')).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Instance ID'));
    await user.type(screen.getByLabelText('Instance ID'), 'i-0abc');
    await user.tab();
    expect(lastCall<VariableQuery>(onChange)).toEqual({
      ...DEFAULT_VARIABLE_QUERY,
      queryType: 'ebsVolumeIDs',
      region: 'us-east-1',
      instanceID: 'i-0abc',
    });
  });

  it('warns about an unreadable legacy query and starts from the default', async () => {
    setup('not_a_query(1)');
    expect(screen.getByText('The stored variable query could not be read')).toBeInTheDocument();
    expect(screen.getByText('Regions')).toBeInTheDocument();
  });

  it('shows the account field for a monitoring account', async () => {
    const { onChange, getResource } = setup(
      { queryType: T.Metrics, namespace: 'AWS/EC2' },
      {
        ...RESOURCES,
        accounts: [
          { value: { id: '111111111111', arn: 'a', label: 'monitoring', isMonitoringAccount: true } },
          { value: { id: '222222222222', arn: 'b', label: 'source', isMonitoringAccount: false } },
        ],
      }
    );
    await screen.findByLabelText('Account');
    expect(getResource).toHaveBeenCalledWith('accounts', { region: 'us-east-1' });
    await pickOption('Account', 'source (222222222222)');
    expect(lastCall<VariableQuery>(onChange)).toMatchObject({ queryType: 'metrics', accountId: '222222222222' });
  });
});
