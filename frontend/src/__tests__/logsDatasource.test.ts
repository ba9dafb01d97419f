import { setTemplateSrv } from '@grafana/runtime';

import { DataSource } from '../datasource';
import { migrateLogsQuery } from '../migrations';
import { CloudWatchQuery } from '../types';
import { fakeTemplateSrv, instanceSettings } from './helpers';

const ARN_A = 'arn:aws:logs:us-east-1:111111111111:log-group:/app/a:*';
const ARN_B = 'arn:aws:logs:us-east-1:111111111111:log-group:/app/b:*';
const logs = (q: Record<string, unknown>) => ({ refId: 'A', queryMode: 'Logs', region: 'default', ...q }) as unknown as CloudWatchQuery;

describe('DataSource with logs queries', () => {
  setTemplateSrv(fakeTemplateSrv({ groups: [ARN_A, ARN_B], one: ARN_A, env: 'prod', region: 'eu-west-1' }));
  const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));

  it.each([
    [{ expression: 'fields @message', logGroups: [{ arn: ARN_A, name: '/app/a' }] }, true],
    [{ expression: 'fields @message', logGroupNames: ['/app/a'] }, true],
    [{ expression: 'fields @message', logGroups: [] }, false],
    [{ expression: '  ', logGroups: [{ arn: ARN_A, name: '/app/a' }] }, false],
    [{ logGroups: [{ arn: ARN_A, name: '/app/a' }] }, false],
    // OpenSearch SQL names its log groups in the query text.
    [{ expression: 'SELECT * FROM `logGroups(logGroupIdentifier: [\'/app/a\'])`', queryLanguage: 'SQL' }, true],
    [{ expression: 'fields a', queryLanguage: 'PPL' }, false],
  ])('filterQuery(%j) = %s', (q, runs) => {
    expect(ds.filterQuery(logs(q))).toBe(runs);
  });

  it('interpolates expression, log group ARNs (multi-value → one group each, no duplicates), names and region', () => {
    const q = logs({
      region: '$region',
      expression: 'fields @message | filter env = "$env"',
      queryLanguage: 'CWLI',
      logGroups: [
        { arn: '$groups', name: '$groups' },
        { arn: ARN_A, name: '/app/a', accountId: '111111111111' },
      ],
      logGroupNames: ['$env-app', '/legacy'],
      statsGroups: [],
    });
    expect(ds.applyTemplateVariables(q, {})).toEqual({
      refId: 'A',
      queryMode: 'Logs',
      region: 'eu-west-1',
      expression: 'fields @message | filter env = "prod"',
      queryLanguage: 'CWLI',
      logGroups: [
        { arn: ARN_A, name: ARN_A },
        { arn: ARN_B, name: ARN_B },
      ],
      logGroupNames: ['prod-app', '/legacy'],
      statsGroups: [],
    });
  });

  it('keeps region "default" for the backend to resolve and leaves metrics queries to the metrics path', () => {
    expect((ds.applyTemplateVariables(logs({ expression: 'x', logGroups: [] }), {}) as any).region).toBe('default');
    const metrics = { refId: 'B', queryMode: 'Metrics', region: '$region', namespace: 'AWS/EC2' } as CloudWatchQuery;
    expect(ds.applyTemplateVariables(metrics, {})).toMatchObject({ region: 'eu-west-1', namespace: 'AWS/EC2' });
  });

  it('reads log-group-fields with the resolved region', async () => {
    const spy = vi.spyOn(ds, 'getResource').mockResolvedValueOnce([{ value: { name: '@message', percent: 100 } }]);
    expect(await ds.getLogGroupFields('default', '/app/a')).toEqual([{ name: '@message', percent: 100 }]);
    expect(spy).toHaveBeenLastCalledWith('log-group-fields', { region: 'us-east-1', logGroupName: '/app/a' });
  });

  it('knows dashboard variables in log group names', () => {
    expect(ds.isVariable('$groups')).toBe(true);
    expect(ds.isVariable('${groups}')).toBe(true);
    expect(ds.isVariable('$nope')).toBe(false);
    expect(ds.isVariable('/app/a')).toBe(false);
  });
});

describe('migrateLogsQuery', () => {
  it('gives an older logs query Grafana’s defaults and keeps its legacy names', () => {
    expect(migrateLogsQuery({ refId: 'A', queryMode: 'Logs', expression: 'fields @message', logGroupNames: ['/a'] } as any)).toEqual({
      refId: 'A',
      queryMode: 'Logs',
      id: '',
      region: 'default',
      queryLanguage: 'CWLI',
      logGroups: [],
      logGroupNames: ['/a'],
      expression: 'fields @message',
    });
  });
});
