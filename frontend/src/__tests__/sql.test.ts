import { and, fn, groupBy, operator, or, property, SQLExpression } from '../components/sql/expressions';
import { renderSql } from '../components/sql/sqlGenerator';
import { parseSql } from '../components/sql/sqlParser';
import { isReservedKeyword } from '../components/sql/reservedKeywords';

const base: SQLExpression = { select: fn('SUM', ['CPUUtilization']), from: fn('SCHEMA', ['AWS/EC2']) };
const BASE = 'SELECT SUM(CPUUtilization) FROM SCHEMA("AWS/EC2")';
const none = (t: string) => t;

/** Model → text, each expected string being what Grafana's CloudWatch editor renders for the same model. */
const CASES: Array<[string, SQLExpression, string]> = [
  ['statistic and metric', { ...base, select: fn('COUNT', ['BytesPerSecond']) }, 'SELECT COUNT(BytesPerSecond) FROM SCHEMA("AWS/EC2")'],
  ['metric with a dash is quoted', { ...base, select: fn('COUNT', ['Bytes-Per-Second']) }, 'SELECT COUNT("Bytes-Per-Second") FROM SCHEMA("AWS/EC2")'],
  ['metric starting with a digit is quoted', { ...base, select: fn('COUNT', ['4xxErrorRate']) }, 'SELECT COUNT("4xxErrorRate") FROM SCHEMA("AWS/EC2")'],
  ['schema without keys', { ...base, from: fn('SCHEMA', ['AWS/MQ']) }, 'SELECT SUM(CPUUtilization) FROM SCHEMA("AWS/MQ")'],
  ['schema with keys', { ...base, from: fn('SCHEMA', ['AWS/MQ', 'InstanceId', 'InstanceType']) }, 'SELECT SUM(CPUUtilization) FROM SCHEMA("AWS/MQ", InstanceId, InstanceType)'],
  [
    'schema keys with space, dot and dash are quoted',
    { ...base, from: fn('SCHEMA', ['AWS/MQ', 'Instance Id', 'Instance.Type', 'Instance-Group']) },
    'SELECT SUM(CPUUtilization) FROM SCHEMA("AWS/MQ", "Instance Id", "Instance.Type", "Instance-Group")',
  ],
  ['plain namespace', { ...base, from: property('AWS/MQ') }, 'SELECT SUM(CPUUtilization) FROM "AWS/MQ"'],
  ['empty WHERE is left out', { ...base, where: and([]) }, BASE],
  ['one filter', { ...base, where: and([operator('Instance-Id', '=', 'I-123')]) }, `${BASE} WHERE "Instance-Id" = 'I-123'`],
  [
    'two filters with AND',
    { ...base, where: and([operator('InstanceId', '=', 'I-123'), operator('Instance-Id', '!=', 'I-456')]) },
    `${BASE} WHERE InstanceId = 'I-123' AND "Instance-Id" != 'I-456'`,
  ],
  [
    'two filters with OR',
    { ...base, where: or([operator('InstanceId', '=', 'I-123'), operator('InstanceId', '!=', 'I-456')]) },
    `${BASE} WHERE InstanceId = 'I-123' OR InstanceId != 'I-456'`,
  ],
  [
    'one nested filter: no parentheses',
    { ...base, where: and([operator('InstanceId', '=', 'I-123'), and([operator('InstanceId', '!=', 'I-456')])]) },
    `${BASE} WHERE InstanceId = 'I-123' AND InstanceId != 'I-456'`,
  ],
  [
    'nested AND keeps its (redundant) parentheses; reserved keyword Type is quoted',
    {
      ...base,
      where: and([
        operator('Instance.Type', '=', 'I-123'),
        and([operator('InstanceId', '!=', 'I-456'), operator('Type', '!=', 'some-type')]),
      ]),
    },
    `${BASE} WHERE "Instance.Type" = 'I-123' AND (InstanceId != 'I-456' AND "Type" != 'some-type')`,
  ],
  [
    'two nested groups',
    {
      ...base,
      where: and([
        or([operator('InstanceId', '=', 'I-123'), operator('Type', '!=', 'some-type')]),
        or([operator('InstanceId', '!=', 'I-456'), operator('Type', '!=', 'some-type')]),
      ]),
    },
    `${BASE} WHERE (InstanceId = 'I-123' OR "Type" != 'some-type') AND (InstanceId != 'I-456' OR "Type" != 'some-type')`,
  ],
  [
    'three single-filter groups joined by OR',
    {
      ...base,
      where: or([
        or([operator('InstanceId', '=', 'I-123')]),
        or([operator('Type', '!=', 'some-type')]),
        or([operator('InstanceId', '!=', 'I-456')]),
      ]),
    },
    `${BASE} WHERE InstanceId = 'I-123' OR "Type" != 'some-type' OR InstanceId != 'I-456'`,
  ],
  ['group by one key', { ...base, groupBy: and([groupBy('InstanceId')]) }, `${BASE} GROUP BY InstanceId`],
  [
    'group by keys, reserved keywords quoted',
    { ...base, groupBy: and([groupBy('InstanceId'), groupBy('Type'), groupBy('Group')]) },
    `${BASE} GROUP BY InstanceId, "Type", "Group"`,
  ],
  ['order by ASC', { ...base, orderBy: fn('SUM'), orderByDirection: 'ASC' }, `${BASE} ORDER BY SUM() ASC`],
  ['order by DESC', { ...base, orderBy: fn('COUNT'), orderByDirection: 'DESC' }, `${BASE} ORDER BY COUNT() DESC`],
  ['order by without direction is ASC', { ...base, orderBy: fn('MAX') }, `${BASE} ORDER BY MAX() ASC`],
  ['limit', { ...base, limit: 10 }, `${BASE} LIMIT 10`],
  [
    'full query',
    {
      select: fn('COUNT', ['DroppedBytes']),
      from: fn('SCHEMA', ['AWS/MQ', 'InstanceId', 'Instance-Group']),
      where: and([
        or([operator('InstanceId', '=', 'I-123'), operator('Type', '!=', 'some-type')]),
        or([operator('InstanceId', '!=', 'I-456'), operator('Type', '!=', 'some-type')]),
      ]),
      groupBy: and([groupBy('InstanceId'), groupBy('InstanceType')]),
      orderBy: fn('COUNT'),
      orderByDirection: 'DESC',
      limit: 100,
    },
    `SELECT COUNT(DroppedBytes) FROM SCHEMA("AWS/MQ", InstanceId, "Instance-Group") WHERE (InstanceId = 'I-123' OR "Type" != 'some-type') AND (InstanceId != 'I-456' OR "Type" != 'some-type') GROUP BY InstanceId, InstanceType ORDER BY COUNT() DESC LIMIT 100`,
  ],
];

describe('renderSql: the same text as Grafana for the same sql model', () => {
  it.each(CASES)('%s', (_name, sql, expected) => {
    expect(renderSql(sql, undefined, none)).toBe(expected);
  });

  it('needs FROM, a function and a metric', () => {
    expect(renderSql({ from: fn('SCHEMA', ['AWS/EC2']) }, undefined, none)).toBeUndefined();
    expect(renderSql({ select: fn('AVG'), from: property('AWS/EC2') }, undefined, none)).toBeUndefined();
    expect(renderSql({ select: fn('AVG', ['CPUUtilization']) }, undefined, none)).toBeUndefined();
  });

  it('an account id adds the AWS.AccountId filter (never quoted); "all" does not', () => {
    expect(renderSql(base, '12345', none)).toBe(`${BASE} WHERE AWS.AccountId = '12345'`);
    expect(renderSql({ ...base, where: and([operator('Instance-Id', '=', 'I-123')]) }, '12345', none)).toBe(
      `${BASE} WHERE AWS.AccountId = '12345' AND "Instance-Id" = 'I-123'`
    );
    expect(renderSql(base, 'all', none)).toBe(BASE);
    expect(renderSql({ ...base, groupBy: and([groupBy('AWS.AccountId')]) }, undefined, none)).toBe(
      `${BASE} GROUP BY AWS.AccountId`
    );
  });

  it('quotes by the interpolated value but keeps the variable in the text', () => {
    const vars: Record<string, string> = { $namespace: 'AWS/EC2', $labels: 'InstanceId', $metric: 'CPUUtilization', $aggregation: 'AVG' };
    const interpolate = (t: string) => vars[t] ?? t;
    const sql: SQLExpression = {
      select: fn('$aggregation', ['$metric']),
      from: fn('SCHEMA', ['$namespace', '$labels']),
      groupBy: and([groupBy('$labels')]),
      orderBy: fn('$aggregation'),
      orderByDirection: 'DESC',
      limit: 100,
    };
    expect(renderSql(sql, undefined, interpolate)).toBe(
      'SELECT $aggregation($metric) FROM SCHEMA("$namespace", $labels) GROUP BY $labels ORDER BY $aggregation() DESC LIMIT 100'
    );
  });

  it('reserved keywords are AWS list entries, any case', () => {
    expect(isReservedKeyword('type')).toBe(true);
    expect(isReservedKeyword('END-EXEC')).toBe(true);
    expect(isReservedKeyword('InstanceId')).toBe(false);
  });
});

describe('parseSql: code → builder', () => {
  // Text the builder writes reads back into a model that writes the same text.
  const builderTexts = CASES.map(([, sql]) => renderSql(sql, undefined, none)!).filter(
    (t) => !t.includes(' OR ') && !t.includes('(InstanceId') && !/AND \(/.test(t)
  );

  it.each(builderTexts)('round trip: %s', (text) => {
    const parsed = parseSql(text);
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && renderSql(parsed.sql, undefined, none)).toBe(text);
  });

  it('reads the builder model of a query written by hand (any keyword case, extra spaces)', () => {
    const parsed = parseSql(
      `select max("EBSIOBalance%")  from schema("AWS/EC2", AutoScalingGroupName)
       where AutoScalingGroupName != 'asg-1' and InstanceType = 't3.micro' group by AutoScalingGroupName
       order by max() desc limit 5`
    );
    expect(parsed).toEqual({
      ok: true,
      sql: {
        select: fn('MAX', ['EBSIOBalance%']),
        from: fn('SCHEMA', ['AWS/EC2', 'AutoScalingGroupName']),
        where: and([operator('AutoScalingGroupName', '!=', 'asg-1'), operator('InstanceType', '=', 't3.micro')]),
        groupBy: and([groupBy('AutoScalingGroupName')]),
        orderBy: fn('MAX'),
        orderByDirection: 'DESC',
        limit: 5,
      },
    });
    expect(parsed.ok && renderSql(parsed.sql, undefined, none)).toBe(
      `SELECT MAX("EBSIOBalance%") FROM SCHEMA("AWS/EC2", AutoScalingGroupName) WHERE AutoScalingGroupName != 'asg-1' AND InstanceType = 't3.micro' GROUP BY AutoScalingGroupName ORDER BY MAX() DESC LIMIT 5`
    );
  });

  it('keeps dashboard variables', () => {
    const parsed = parseSql('SELECT $stat($metric) FROM "$namespace" GROUP BY ${key}');
    expect(parsed).toEqual({
      ok: true,
      sql: { select: fn('$stat', ['$metric']), from: property('$namespace'), groupBy: and([groupBy('${key}')]) },
    });
  });

  it.each([
    ['SELECT AVG(CPUUtilization) FROM "AWS/EC2" WHERE InstanceId = \'a\' OR InstanceId = \'b\'', 'OR'],
    ["SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" WHERE (InstanceId = 'a')", 'not a name'],
    ["SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" WHERE InstanceId LIKE 'a%'", 'only = and !='],
    ['SELECT PERCENTILE(CPUUtilization) FROM "AWS/EC2"', 'PERCENTILE'],
    ['SELECT AVG(CPUUtilization) FROM "AWS/EC2" -- the fleet', 'comments'],
    ['SELECT AVG(CPUUtilization) FROM "AWS/EC2" LIMIT 0', 'LIMIT'],
    ['SELECT AVG(CPUUtilization) FROM "AWS/EC2" ORDER BY AVG(CPUUtilization)', 'no argument'],
    ["SELECT AVG(CPUUtilization) FROM \"AWS/EC2\" WHERE InstanceId = 'it\\'s'", 'escaped'],
    ['SELECT AVG(CPUUtilization) FROM "AWS/EC2" extra', 'extra'],
    ['SELECT AVG(CPUUtilization)', 'FROM'],
  ])('cannot show %s (%s)', (text, reason) => {
    const parsed = parseSql(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});
