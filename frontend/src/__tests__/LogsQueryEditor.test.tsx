import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setTemplateSrv } from '@grafana/runtime';
import { vi } from 'vitest';

import { getStatsGroups } from '../components/logs/statsGroups';
import { QueryModeEditor } from '../components/QueryModeEditor';
import { DataSource } from '../datasource';
import { CloudWatchQuery, DEFAULT_QUERY } from '../types';
import {
  Controlled,
  FailingRoute,
  fakeTemplateSrv,
  instanceSettings,
  lastCall,
  pickOption,
  setupGrafanaRuntime,
} from './helpers';

const ARN = (name: string, account = '111111111111') => `arn:aws:logs:us-east-1:${account}:log-group:${name}:*`;
const MONITORING_ACCOUNTS = [
  { value: { id: '111111111111', arn: 'arn:aws:iam::111111111111:root', label: 'monitoring', isMonitoringAccount: true } },
  { value: { id: '222222222222', arn: 'arn:aws:iam::222222222222:root', label: 'payments', isMonitoringAccount: false } },
];

/** The `log-groups` route as the backend answers it: `[{accountId, value: {arn, name}}]`, filtered by the params. */
function logGroupsAnswer(params: Record<string, string>) {
  const all = [
    { accountId: '111111111111', value: { arn: ARN('/app/api'), name: '/app/api' } },
    { accountId: '111111111111', value: { arn: ARN('/app/worker'), name: '/app/worker' } },
    { accountId: '222222222222', value: { arn: ARN('/app/payments', '222222222222'), name: '/app/payments' } },
  ];
  return all.filter(
    (g) =>
      (!params.logGroupPattern || g.value.name.includes(params.logGroupPattern)) &&
      (!params.logGroupNamePrefix || g.value.name.startsWith(params.logGroupNamePrefix)) &&
      (!params.accountId || params.accountId === 'all' || g.accountId === params.accountId)
  );
}

function setup(
  initial: Partial<CloudWatchQuery> | Record<string, unknown>,
  accounts: unknown = null,
  regions: unknown = [{ value: { name: 'us-east-1' } }, { value: { name: 'eu-west-1' } }]
) {
  setupGrafanaRuntime();
  setTemplateSrv(fakeTemplateSrv({ logGroups: [ARN('/app/api'), ARN('/app/worker')] }));
  const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));
  const getResource = vi.spyOn(ds, 'getResource').mockImplementation(async (path: string, params?: any) => {
    switch (path) {
      case 'regions':
        if (regions instanceof FailingRoute) {
          throw regions.rejection;
        }
        return regions;
      case 'accounts':
        return accounts;
      case 'log-groups':
        return logGroupsAnswer(params ?? {});
      default:
        return [];
    }
  });
  const onChange = vi.fn();
  const onRunQuery = vi.fn();
  render(
    <Controlled<CloudWatchQuery> initial={{ refId: 'A', ...initial } as CloudWatchQuery} onChange={onChange}>
      {(q, change) => <QueryModeEditor datasource={ds} query={q} onChange={change} onRunQuery={onRunQuery} />}
    </Controlled>
  );
  return { ds, getResource, onChange, onRunQuery, user: userEvent.setup() };
}

// What Grafana's CloudWatch editor stores after a new panel query is switched to Logs: its default query (metrics
// and logs defaults together) with queryMode "Logs" and the Logs Insights starting query.
const GRAFANA_NEW_LOGS_QUERY = {
  refId: 'A',
  queryMode: 'Logs',
  id: '',
  region: 'default',
  logGroups: [],
  queryLanguage: 'CWLI',
  expression: 'fields @timestamp, @message |\nsort @timestamp desc |\nlimit 20',
  namespace: '',
  metricName: '',
  dimensions: {},
  statistic: 'Average',
  period: '',
  metricQueryType: 0,
  metricEditorMode: 0,
  sqlExpression: '',
  matchExact: true,
};

async function switchToLogs(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole('radio', { name: 'CloudWatch Logs' }));
  await screen.findByTestId('pyaws-cloudwatch-logs-editor');
}

async function searchAndPick(user: ReturnType<typeof userEvent.setup>, text: string, names: string[]) {
  if (!screen.queryByTestId('log-group-search')) {
    await user.click(screen.getByRole('button', { name: 'Select log groups' }));
  }
  const search = screen.getByLabelText('Log group name search');
  await user.clear(search);
  await user.type(search, text);
  for (const name of names) {
    await user.click(await screen.findByLabelText(name));
  }
}

describe('Logs query editor: the query JSON equals Grafana CloudWatch’s', () => {
  const cases: Array<{
    name: string;
    accounts?: unknown;
    act: (user: ReturnType<typeof userEvent.setup>) => Promise<void>;
    expected: Record<string, unknown>;
  }> = [
    {
      name: 'a new panel query switched to Logs',
      act: async () => {},
      expected: GRAFANA_NEW_LOGS_QUERY,
    },
    {
      name: 'log groups picked from a search',
      act: (user) => searchAndPick(user, 'app/', ['/app/api', '/app/worker']),
      expected: {
        ...GRAFANA_NEW_LOGS_QUERY,
        logGroups: [
          { arn: ARN('/app/api'), name: '/app/api', accountId: '111111111111' },
          { arn: ARN('/app/worker'), name: '/app/worker', accountId: '111111111111' },
        ],
      },
    },
    {
      name: 'a log group of a source account (monitoring account)',
      accounts: MONITORING_ACCOUNTS,
      act: async (user) => {
        await user.click(screen.getByRole('button', { name: 'Select log groups' }));
        await pickOption('Account', 'payments');
        await user.click(await screen.findByLabelText('/app/payments'));
      },
      expected: {
        ...GRAFANA_NEW_LOGS_QUERY,
        logGroups: [
          {
            arn: ARN('/app/payments', '222222222222'),
            name: '/app/payments',
            accountId: '222222222222',
            accountLabel: 'payments',
          },
        ],
      },
    },
    {
      name: 'a template variable standing for log groups',
      act: async (user) => {
        await user.click(screen.getByRole('button', { name: 'Select log groups' }));
        await pickOption('Log group template variable', '$logGroups');
      },
      expected: { ...GRAFANA_NEW_LOGS_QUERY, logGroups: [{ name: '$logGroups', arn: '$logGroups' }] },
    },
    {
      name: 'a stats query: its by-fields become statsGroups',
      act: async (user) => {
        const field = screen.getByLabelText('Logs query');
        await user.clear(field);
        await user.type(field, 'stats count(*) by bin(5m), @logStream as stream');
      },
      expected: {
        ...GRAFANA_NEW_LOGS_QUERY,
        expression: 'stats count(*) by bin(5m), @logStream as stream',
        statsGroups: ['bin(5m)', 'stream'],
      },
    },
    {
      name: 'OpenSearch SQL chosen for a new query: its starting query replaces the text',
      act: async (user) => {
        await user.click(screen.getByRole('radio', { name: 'OpenSearch SQL' }));
      },
      expected: {
        ...GRAFANA_NEW_LOGS_QUERY,
        queryLanguage: 'SQL',
        expression: 'SELECT `@timestamp`, `@message`\nFROM `log_group`\nORDER BY `@timestamp` DESC\nLIMIT 25;',
      },
    },
    {
      name: 'OpenSearch PPL chosen after typing: the text is kept',
      act: async (user) => {
        const field = screen.getByLabelText('Logs query');
        await user.clear(field);
        await user.type(field, 'fields a');
        await user.click(screen.getByRole('radio', { name: 'OpenSearch PPL' }));
      },
      expected: { ...GRAFANA_NEW_LOGS_QUERY, queryLanguage: 'PPL', expression: 'fields a', statsGroups: [] },
    },
  ];

  it.each(cases)('$name', async ({ act, expected, accounts }) => {
    const { onChange, user } = setup({ ...DEFAULT_QUERY }, accounts ?? null);
    await switchToLogs(user);
    await act(user);
    await waitFor(() => expect(JSON.parse(JSON.stringify(lastCall(onChange)))).toEqual(expected));
  });
});

describe('Logs query editor: log-group picker and routes', () => {
  it('a failing regions route shows its message by the Region field; a typed region is still stored', async () => {
    const { onChange, user } = setup({ ...DEFAULT_QUERY }, null, new FailingRoute('UnrecognizedClientException'));
    await switchToLogs(user);
    expect(
      await screen.findByText('Could not load regions: UnrecognizedClientException. Type a region or use “default”.')
    ).toBeInTheDocument();
    await pickOption('Region', 'ap-east-2');
    expect(lastCall(onChange)).toMatchObject({ queryMode: 'Logs', region: 'ap-east-2' });
  });

  it('searches the log-groups route with Grafana’s params (pattern, listAllLogGroups, resolved region)', async () => {
    const { getResource, user } = setup({ ...DEFAULT_QUERY });
    await switchToLogs(user);
    await searchAndPick(user, 'worker', ['/app/worker']);
    expect(getResource).toHaveBeenCalledWith('log-groups', {
      region: 'us-east-1',
      logGroupPattern: 'worker',
      listAllLogGroups: 'true',
    });
    expect(screen.queryByLabelText('Account')).toBeNull(); // not a monitoring account: no account selector
  });

  it('sends accountId (all, then one account) when accounts lists a monitoring account’s sources', async () => {
    const { getResource, user } = setup({ ...DEFAULT_QUERY }, MONITORING_ACCOUNTS);
    await switchToLogs(user);
    await user.click(screen.getByRole('button', { name: 'Select log groups' }));
    await waitFor(() =>
      expect(getResource).toHaveBeenCalledWith('log-groups', {
        region: 'us-east-1',
        accountId: 'all',
        logGroupPattern: '',
        listAllLogGroups: 'true',
      })
    );
    await pickOption('Account', 'payments');
    await waitFor(() =>
      expect(getResource).toHaveBeenCalledWith('log-groups', expect.objectContaining({ accountId: '222222222222' }))
    );
    expect(screen.queryByLabelText('/app/api')).toBeNull();
    expect(screen.getByLabelText('/app/payments')).toBeInTheDocument();
  });

  it('shows the selection as chips; a chip’s remove button and unchecking drop the group', async () => {
    const { onChange, user } = setup({ ...DEFAULT_QUERY });
    await switchToLogs(user);
    await searchAndPick(user, 'app', ['/app/api', '/app/worker']);
    const chips = screen.getByTestId('selected-log-groups');
    expect(chips).toHaveTextContent('/app/api');
    expect(chips).toHaveTextContent('/app/worker');
    await user.click(screen.getByRole('button', { name: 'Remove log group /app/api' }));
    expect((lastCall(onChange) as any).logGroups.map((g: any) => g.name)).toEqual(['/app/worker']);
    await user.click(screen.getByLabelText('/app/worker'));
    expect((lastCall(onChange) as any).logGroups).toEqual([]);
  });

  it('migrates legacy logGroupNames into logGroups through the log-groups route (variables kept)', async () => {
    const legacy = {
      queryMode: 'Logs',
      region: 'default',
      expression: 'fields @message',
      logGroupNames: ['/app/api', '$logGroups', '/app/gone'],
    };
    const { getResource, onChange } = setup(legacy);
    await waitFor(() => expect((lastCall(onChange) as any)?.logGroups?.length).toBe(3));
    expect(getResource).toHaveBeenCalledWith('log-groups', {
      region: 'us-east-1',
      logGroupNamePrefix: '/app/api',
      listAllLogGroups: 'false',
    });
    const q = JSON.parse(JSON.stringify(lastCall(onChange)));
    expect(q).toEqual({
      refId: 'A',
      queryMode: 'Logs',
      id: '',
      region: 'default',
      queryLanguage: 'CWLI',
      expression: 'fields @message',
      logGroups: [
        { arn: ARN('/app/api'), name: '/app/api', accountId: '111111111111' },
        { arn: '/app/gone', name: '/app/gone' },
        { name: '$logGroups', arn: '$logGroups' },
      ],
    });
  });

  it('switching back to Metrics keeps the fields and empties the expression', async () => {
    const { onChange, user } = setup({ ...DEFAULT_QUERY });
    await switchToLogs(user);
    await user.click(screen.getByRole('radio', { name: 'CloudWatch Metrics' }));
    expect(lastCall(onChange)).toMatchObject({ queryMode: 'Metrics', expression: '', namespace: '' });
    expect(screen.getByTestId('pyaws-cloudwatch-query-editor')).toBeInTheDocument();
  });

  it('Shift+Enter in the query runs it', async () => {
    const { onRunQuery, user } = setup({ ...DEFAULT_QUERY });
    await switchToLogs(user);
    await user.click(screen.getByLabelText('Logs query'));
    await user.keyboard('{Shift>}{Enter}{/Shift}');
    expect(onRunQuery).toHaveBeenCalled();
  });
});

describe('getStatsGroups', () => {
  // Cases from the Logs Insights query examples (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-examples.html).
  it.each([
    ['filter @message like /Exception/ | stats count(*) as n by bin(1h) | sort n desc', ['bin(1h)']],
    ['stats count(@message) by bin(1h), @log, @logStream as fieldAlias', ['bin(1h)', '@log', 'fieldAlias']],
    ['stats sum(packets) as p by srcAddr, dstAddr\n | sort p desc\n | limit 15', ['srcAddr', 'dstAddr']],
    ['filter logStatus="SKIPDATA"\n | stats count(*) by bin(1h) as t\n | sort t', ['t']],
    ['stats count(*) by queryType, bin(1h)', ['queryType', 'bin(1h)']],
    ['filter responseCode="SERVFAIL" | stats count(*) by queryName.0.1 as f0, bin(5m)', ['f0', 'bin(5m)']],
    ['fields @timestamp, @message | sort @timestamp desc | limit 25', []],
    ['stats count(*)', []],
    ['fields @message | filter @message like / by me /', []],
  ])('%s', (expression, groups) => {
    expect(getStatsGroups(expression)).toEqual(groups);
  });
});
