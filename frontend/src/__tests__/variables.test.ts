import { lastValueFrom } from 'rxjs';
import { CustomVariableSupport, DataQueryRequest, VariableSupportType } from '@grafana/data';
import { setTemplateSrv } from '@grafana/runtime';
import { vi } from 'vitest';

import { VariableQueryEditor } from '../components/VariableQueryEditor';
import { DataSource } from '../datasource';
import { DEFAULT_VARIABLE_QUERY, STANDARD_STATISTICS, VariableQuery, VariableQueryType } from '../types';
import { CloudWatchVariableSupport } from '../variables';
import { fakeTemplateSrv, instanceSettings } from './helpers';

const T = VariableQueryType;

/** Backend answers, in the shapes the resource routes use. */
const RESOURCES: Record<string, unknown> = {
  regions: [{ value: { name: 'us-east-1' } }, { value: { name: 'eu-west-1' } }],
  namespaces: [{ value: 'AWS/EC2' }, { value: 'MyApp' }],
  metrics: [
    { value: { name: 'CPUUtilization', namespace: 'AWS/EC2' } },
    { value: { name: 'NetworkIn', namespace: 'AWS/EC2' } },
  ],
  'dimension-keys': [{ value: 'InstanceId' }, { value: 'AutoScalingGroupName' }],
  'dimension-values': [{ value: 'i-1' }, { value: 'i-2' }],
  accounts: [
    { value: { id: '111111111111', arn: 'arn:aws:oam:...:sink/x', label: 'monitoring', isMonitoringAccount: true } },
    { value: { id: '222222222222', arn: 'arn:aws:oam:...:link/y', label: '', isMonitoringAccount: false } },
  ],
  'ebs-volume-ids': [{ text: 'vol-1', value: 'vol-1', label: 'vol-1' }],
  'ec2-instance-attribute': [{ text: 'web-1', value: 'web-1', label: 'web-1' }, { text: 'x', value: 'web-2' }],
  'resource-arns': [{ text: 'arn:aws:ec2:us-east-1:1:instance/i-1', value: 'arn:aws:ec2:us-east-1:1:instance/i-1' }],
};

function setup(resources: Record<string, unknown> = RESOURCES) {
  const templateSrv = fakeTemplateSrv({
    region: 'eu-west-1',
    ns: 'AWS/EC2',
    metric: 'CPUUtilization',
    key: 'InstanceId',
    instance: ['i-1', 'i-2'],
    single: 'i-9',
    team: ['web', 'db'],
    account: '222222222222',
  });
  setTemplateSrv(templateSrv);
  const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));
  const getResource = vi
    .spyOn(ds, 'getResource')
    .mockImplementation(async (path: string) => (path in resources ? resources[path] : []));
  const run = (target: Partial<VariableQuery> | string) =>
    lastValueFrom(
      (ds.variables as CloudWatchVariableSupport).query({
        targets: [typeof target === 'string' ? target : { ...DEFAULT_VARIABLE_QUERY, ...target }],
      } as unknown as DataQueryRequest<VariableQuery>)
    ).then((r) => r.data);
  return { ds, getResource, run, templateSrv };
}

describe('CloudWatchVariableSupport', () => {
  it('is the datasource’s custom variable support with the variable editor', () => {
    const { ds } = setup();
    expect(ds.variables).toBeInstanceOf(CustomVariableSupport);
    expect(ds.variables!.getType()).toBe(VariableSupportType.Custom);
    expect((ds.variables as CloudWatchVariableSupport).editor).toBe(VariableQueryEditor);
    expect((ds.variables as CloudWatchVariableSupport).getDefaultQuery()).toMatchObject({
      queryType: 'regions',
      region: 'default',
    });
  });

  it('regions: "default" first, then resources/regions', async () => {
    const { run, getResource } = setup();
    expect(await run({ queryType: T.Regions })).toEqual([
      { text: 'default', value: 'default' },
      { text: 'us-east-1', value: 'us-east-1' },
      { text: 'eu-west-1', value: 'eu-west-1' },
    ]);
    expect(getResource).toHaveBeenCalledWith('regions', undefined);
  });

  it('namespaces', async () => {
    const { run, getResource } = setup();
    expect(await run({ queryType: T.Namespaces })).toEqual([
      { text: 'AWS/EC2', value: 'AWS/EC2' },
      { text: 'MyApp', value: 'MyApp' },
    ]);
    expect(getResource).toHaveBeenCalledWith('namespaces', undefined);
  });

  it('metrics: region "default" is sent as is; accountId when set', async () => {
    const { run, getResource } = setup();
    expect(await run({ queryType: T.Metrics, region: 'default', namespace: 'AWS/EC2' })).toEqual([
      { text: 'CPUUtilization', value: 'CPUUtilization' },
      { text: 'NetworkIn', value: 'NetworkIn' },
    ]);
    expect(getResource).toHaveBeenLastCalledWith('metrics', { region: 'default', namespace: 'AWS/EC2' });

    await run({ queryType: T.Metrics, region: '', namespace: 'AWS/EC2', accountId: 'all' });
    expect(getResource).toHaveBeenLastCalledWith('metrics', { region: 'default', namespace: 'AWS/EC2', accountId: 'all' });
  });

  it('dimension keys', async () => {
    const { run, getResource } = setup();
    expect(await run({ queryType: T.DimensionKeys, region: 'eu-west-1', namespace: 'AWS/EC2', metricName: 'ignored' })).toEqual([
      { text: 'InstanceId', value: 'InstanceId' },
      { text: 'AutoScalingGroupName', value: 'AutoScalingGroupName' },
    ]);
    expect(getResource).toHaveBeenLastCalledWith('dimension-keys', {
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      metricName: '',
      dimensionFilters: '{}',
    });
  });

  it('dimension values, with filters', async () => {
    const { run, getResource } = setup();
    const data = await run({
      queryType: T.DimensionValues,
      region: 'us-east-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensionKey: 'InstanceId',
      dimensionFilters: { AutoScalingGroupName: 'asg-1', Other: ['a', 'b'], Any: [] },
      accountId: '222222222222',
    });
    expect(data).toEqual([
      { text: 'i-1', value: 'i-1' },
      { text: 'i-2', value: 'i-2' },
    ]);
    expect(getResource).toHaveBeenLastCalledWith('dimension-values', {
      region: 'us-east-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensionKey: 'InstanceId',
      dimensionFilters: '{"AutoScalingGroupName":["asg-1"],"Other":["a","b"],"Any":[]}',
      accountId: '222222222222',
    });
  });

  it('EBS volume ids', async () => {
    const { run, getResource } = setup();
    expect(await run({ queryType: T.EBSVolumeIDs, region: 'us-east-1', instanceID: 'i-1' })).toEqual([
      { text: 'vol-1', value: 'vol-1' },
    ]);
    expect(getResource).toHaveBeenLastCalledWith('ebs-volume-ids', { region: 'us-east-1', instanceId: 'i-1' });
  });

  it('EC2 instance attributes: label is the text', async () => {
    const { run, getResource } = setup();
    const data = await run({
      queryType: T.EC2InstanceAttributes,
      region: 'default',
      attributeName: 'Tags.Name',
      ec2Filters: { 'tag:Team': ['web'], 'instance-state-name': ['running', 'stopped'] },
    });
    expect(data).toEqual([
      { text: 'web-1', value: 'web-1' },
      { text: 'x', value: 'web-2' },
    ]);
    expect(getResource).toHaveBeenLastCalledWith('ec2-instance-attribute', {
      region: 'default',
      attributeName: 'Tags.Name',
      filters: '{"tag:Team":["web"],"instance-state-name":["running","stopped"]}',
    });
  });

  it('resource ARNs', async () => {
    const { run, getResource } = setup();
    const data = await run({
      queryType: T.ResourceArns,
      region: 'us-east-1',
      resourceType: 'ec2:instance',
      tags: { Environment: ['prod'] },
    });
    expect(data).toEqual([
      { text: 'arn:aws:ec2:us-east-1:1:instance/i-1', value: 'arn:aws:ec2:us-east-1:1:instance/i-1' },
    ]);
    expect(getResource).toHaveBeenLastCalledWith('resource-arns', {
      region: 'us-east-1',
      resourceType: 'ec2:instance',
      tags: '{"Environment":["prod"]}',
    });
  });

  it('statistics are answered in the frontend', async () => {
    const { run, getResource } = setup();
    const data = await run({ queryType: T.Statistics });
    expect(data.map((d: { value: string }) => d.value)).toEqual(STANDARD_STATISTICS);
    expect(data[0]).toEqual({ text: 'Average', value: 'Average' });
    expect(getResource).not.toHaveBeenCalled();
  });

  it('accounts: "All" first, label (or id) as text; nothing when the backend answers null', async () => {
    const { run, getResource } = setup();
    expect(await run({ queryType: T.Accounts, region: 'eu-west-1' })).toEqual([
      { text: 'All', value: 'all' },
      { text: 'monitoring', value: '111111111111' },
      { text: '222222222222', value: '222222222222' },
    ]);
    expect(getResource).toHaveBeenLastCalledWith('accounts', { region: 'eu-west-1' });

    const other = setup({ ...RESOURCES, accounts: null });
    expect(await other.run({ queryType: T.Accounts })).toEqual([]);
    expect(other.getResource).toHaveBeenLastCalledWith('accounts', { region: 'default' });
  });

  it('skips the request when a required field is empty', async () => {
    const { run, getResource } = setup();
    expect(await run({ queryType: T.Metrics, namespace: '' })).toEqual([]);
    expect(await run({ queryType: T.DimensionValues, namespace: 'AWS/EC2', dimensionKey: '' })).toEqual([]);
    expect(await run({ queryType: T.EBSVolumeIDs, instanceID: '' })).toEqual([]);
    expect(await run({ queryType: T.EC2InstanceAttributes, attributeName: '' })).toEqual([]);
    expect(await run({ queryType: T.ResourceArns, resourceType: '' })).toEqual([]);
    expect(getResource).not.toHaveBeenCalled();
  });

  it('runs legacy string queries', async () => {
    const { run, getResource } = setup();
    await run('dimension_values(eu-west-1,AWS/EC2,CPUUtilization,InstanceId,{"AutoScalingGroupName":"asg"})');
    expect(getResource).toHaveBeenLastCalledWith('dimension-values', {
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensionKey: 'InstanceId',
      dimensionFilters: '{"AutoScalingGroupName":["asg"]}',
    });
    await run('metrics(AWS/Lambda)');
    expect(getResource).toHaveBeenLastCalledWith('metrics', { region: 'default', namespace: 'AWS/Lambda' });
    await expect(run('nonsense()')).rejects.toThrow(/unable to parse old variable query/);
  });

  it('logGroups: every page of resources/log-groups, the name as text and the ARN as value', async () => {
    const arn = 'arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/web:*';
    const { run, getResource } = setup({
      ...RESOURCES,
      'log-groups': [{ accountId: '111111111111', value: { arn, name: '/aws/lambda/web' } }],
    });
    expect(await run({ queryType: T.LogGroups, region: '$region', logGroupPrefix: '/aws/$ns' })).toEqual([
      { text: '/aws/lambda/web', value: arn },
    ]);
    expect(getResource).toHaveBeenLastCalledWith('log-groups', {
      region: 'eu-west-1',
      logGroupNamePrefix: '/aws/AWS/EC2',
      listAllLogGroups: 'true',
    });
    await run({ queryType: T.LogGroups, region: 'default', accountId: '$account' });
    expect(getResource).toHaveBeenLastCalledWith('log-groups', {
      region: 'default',
      accountId: '222222222222',
      listAllLogGroups: 'true',
    });
  });

  it('a query type this data source does not answer is an error, not an empty list', async () => {
    const { run, getResource } = setup();
    await expect(run({ queryType: 'traces' as VariableQueryType })).rejects.toThrow(
      /variable query type "traces" is not supported/
    );
    expect(getResource).not.toHaveBeenCalled();
  });

  it('backend errors reach Grafana (the variable shows the error)', async () => {
    const { run, getResource } = setup();
    getResource.mockRejectedValueOnce({ status: 403, data: { message: 'access denied' } });
    await expect(run({ queryType: T.ResourceArns, resourceType: 'ec2:instance' })).rejects.toMatchObject({ status: 403 });
  });
});

describe('variable interpolation', () => {
  it('interpolates every field; multi-value instance ids become {a,b}', async () => {
    const { run, getResource, templateSrv } = setup();

    await run({ queryType: T.Metrics, region: '$region', namespace: '$ns', accountId: '$account' });
    expect(getResource).toHaveBeenLastCalledWith('metrics', {
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      accountId: '222222222222',
    });

    await run({
      queryType: T.DimensionValues,
      region: '${region}',
      namespace: '$ns',
      metricName: '$metric',
      dimensionKey: '[[key]]',
      dimensionFilters: { $key: '$instance', AutoScalingGroupName: ['$single', 'asg-$single'] },
    });
    expect(getResource).toHaveBeenLastCalledWith('dimension-values', {
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensionKey: 'InstanceId',
      // A multi-value variable in a filter value gives one entry per value.
      dimensionFilters: '{"InstanceId":["i-1","i-2"],"AutoScalingGroupName":["i-9","asg-i-9"]}',
    });

    templateSrv.replace.mockClear();
    await run({ queryType: T.EBSVolumeIDs, region: '$region', instanceID: '$instance' });
    expect(getResource).toHaveBeenLastCalledWith('ebs-volume-ids', { region: 'eu-west-1', instanceId: '{i-1,i-2}' });
    // Grafana's default format (no format argument) is what gives `{a,b}`.
    expect(templateSrv.replace).toHaveBeenCalledWith('$instance', undefined);

    await run({ queryType: T.EC2InstanceAttributes, region: '$region', attributeName: 'Tags.$ns', ec2Filters: { 'tag:Team': ['$team'] } });
    expect(getResource).toHaveBeenLastCalledWith('ec2-instance-attribute', {
      region: 'eu-west-1',
      attributeName: 'Tags.AWS/EC2',
      filters: '{"tag:Team":["web","db"]}',
    });

    await run({ queryType: T.ResourceArns, region: '$region', resourceType: '$ns', tags: { '$ns': ['$single'] } });
    expect(getResource).toHaveBeenLastCalledWith('resource-arns', {
      region: 'eu-west-1',
      resourceType: 'AWS/EC2',
      tags: '{"AWS/EC2":["i-9"]}',
    });

    await run({ queryType: T.Accounts, region: '$region' });
    expect(getResource).toHaveBeenLastCalledWith('accounts', { region: 'eu-west-1' });
  });

  it('the editors keep resolving "default" to the configured default region', async () => {
    const { ds, getResource } = setup();
    await ds.getMetrics('default', 'AWS/EC2');
    expect(getResource).toHaveBeenLastCalledWith('metrics', { region: 'us-east-1', namespace: 'AWS/EC2' });
  });
});
