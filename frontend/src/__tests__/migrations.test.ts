import { migrateVariableQuery } from '../migrations';
import { DEFAULT_VARIABLE_QUERY, OldVariableQuery, VariableQuery, VariableQueryType } from '../types';

const base = DEFAULT_VARIABLE_QUERY;

describe('migrateVariableQuery: legacy string form', () => {
  it.each<[string, Partial<VariableQuery>]>([
    ['', { queryType: VariableQueryType.Regions }],
    ['regions()', { queryType: VariableQueryType.Regions }],
    ['namespaces()', { queryType: VariableQueryType.Namespaces }],
    ['statistics()', { queryType: VariableQueryType.Statistics }],
    ['metrics(AWS/EC2)', { queryType: VariableQueryType.Metrics, namespace: 'AWS/EC2', region: 'default' }],
    ['metrics(AWS/EC2, eu-west-1)', { queryType: VariableQueryType.Metrics, namespace: 'AWS/EC2', region: 'eu-west-1' }],
    ['metrics($ns,$region)', { queryType: VariableQueryType.Metrics, namespace: '$ns', region: '$region' }],
    ['dimension_keys(AWS/EC2)', { queryType: VariableQueryType.DimensionKeys, namespace: 'AWS/EC2', region: 'default' }],
    [
      'dimension_keys(AWS/RDS,us-east-2)',
      { queryType: VariableQueryType.DimensionKeys, namespace: 'AWS/RDS', region: 'us-east-2' },
    ],
    [
      'dimension_values(us-east-1,AWS/RDS,CPUUtilization,DBInstanceIdentifier)',
      {
        queryType: VariableQueryType.DimensionValues,
        region: 'us-east-1',
        namespace: 'AWS/RDS',
        metricName: 'CPUUtilization',
        dimensionKey: 'DBInstanceIdentifier',
        dimensionFilters: {},
      },
    ],
    [
      'dimension_values(us-east-1, AWS/EC2, CPUUtilization, InstanceId, {"AutoScalingGroupName":"$asg","a":["b,c"]})',
      {
        queryType: VariableQueryType.DimensionValues,
        region: 'us-east-1',
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensionKey: 'InstanceId',
        dimensionFilters: { AutoScalingGroupName: '$asg', a: ['b,c'] },
      },
    ],
    [
      'dimension_values($region,AWS/EC2,CPUUtilization,InstanceId,[])',
      { queryType: VariableQueryType.DimensionValues, region: '$region', dimensionFilters: {} },
    ],
    [
      'ebs_volume_ids(us-east-1, $instance)',
      { queryType: VariableQueryType.EBSVolumeIDs, region: 'us-east-1', instanceID: '$instance' },
    ],
    [
      'ec2_instance_attribute(us-east-1, Tags.Name, {"tag:Team":["$team","ops"]})',
      {
        queryType: VariableQueryType.EC2InstanceAttributes,
        region: 'us-east-1',
        attributeName: 'Tags.Name',
        ec2Filters: { 'tag:Team': ['$team', 'ops'] },
      },
    ],
    [
      'resource_arns(eu-west-1,elasticloadbalancing:loadbalancer,{"elasticbeanstalk:environment-name":["myApp-dev","myApp-prod"]})',
      {
        queryType: VariableQueryType.ResourceArns,
        region: 'eu-west-1',
        resourceType: 'elasticloadbalancing:loadbalancer',
        tags: { 'elasticbeanstalk:environment-name': ['myApp-dev', 'myApp-prod'] },
      },
    ],
  ])('%j', (raw, expected) => {
    const q = migrateVariableQuery(raw);
    expect(q).toMatchObject(expected);
    // Always the complete object, so the editor and query() never meet missing fields.
    expect(Object.keys(q).sort()).toEqual(Object.keys(base).sort());
    expect(q.refId).toBe('CloudWatchVariableQueryEditor-VariableQuery');
  });

  it('reads ${var:json} filters of old dashboards as "$var", and single strings as lists', () => {
    expect(
      migrateVariableQuery('ec2_instance_attribute(us-east-1, Tags.Name, {"tag:Team": ${team:json}, "k": "v"})')
    ).toMatchObject({ ec2Filters: { 'tag:Team': ['$team'], k: ['v'] } });
    expect(
      migrateVariableQuery('dimension_values(us-east-1,AWS/EC2,CPUUtilization,InstanceId,{"AutoScalingGroupName":${asg:json}})')
    ).toMatchObject({ dimensionFilters: { AutoScalingGroupName: '$asg' } });
  });

  it('rejects what it cannot read', () => {
    expect(() => migrateVariableQuery('something()')).toThrow(/unable to parse old variable query/);
    expect(() => migrateVariableQuery('metrics()')).toThrow(/unable to parse/);
    expect(() => migrateVariableQuery('dimension_values(us-east-1,AWS/EC2,CPU)')).toThrow(/unable to parse/);
    // Extra arguments are refused, not dropped (Grafana's patterns do the same).
    expect(() => migrateVariableQuery('ebs_volume_ids(us-east-1, i-1, i-2)')).toThrow(/unable to parse/);
    expect(() => migrateVariableQuery('metrics(AWS/EC2, us-east-1, junk)')).toThrow(/unable to parse/);
    expect(() => migrateVariableQuery('regions(us-east-1)')).toThrow(/unable to parse/);
    expect(() => migrateVariableQuery('ec2_instance_attribute(us-east-1,InstanceId,{oops})')).toThrow(
      /poorly formed filters: \{oops\}/
    );
  });
});

describe('migrateVariableQuery: objects', () => {
  it('keeps a current query and fills missing fields', () => {
    const q: VariableQuery = {
      ...base,
      queryType: VariableQueryType.Metrics,
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      accountId: '123456789012',
    };
    expect(migrateVariableQuery(q)).toEqual(q);
    expect(migrateVariableQuery({ queryType: VariableQueryType.Namespaces, refId: 'X' } as VariableQuery)).toEqual({
      ...base,
      queryType: VariableQueryType.Namespaces,
      refId: 'X',
    });
    expect(migrateVariableQuery(undefined)).toEqual(base);
  });

  it('parses the JSON-string filters of the older object form', () => {
    const old: OldVariableQuery = {
      ...base,
      queryType: VariableQueryType.EC2InstanceAttributes,
      region: 'us-east-1',
      attributeName: 'rds:db',
      dimensionFilters: '',
      ec2Filters: '{"environment":["$environment"]}',
      tags: '[]',
      refId: '',
    };
    expect(migrateVariableQuery(old)).toMatchObject({
      queryType: VariableQueryType.EC2InstanceAttributes,
      attributeName: 'rds:db',
      dimensionFilters: {},
      ec2Filters: { environment: ['$environment'] },
      tags: {},
    });
  });
});
