import React from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { setTemplateSrv } from '@grafana/runtime';
import { vi } from 'vitest';

import { AnnotationQueryEditor } from '../components/annotations/AnnotationQueryEditor';
import { CloudWatchAnnotationSupport, isCompleteAnnotationQuery } from '../components/annotations/annotationSupport';
import { DataSource } from '../datasource';
import { CloudWatchQuery } from '../types';
import {
  answerFrom,
  Controlled,
  FailingRoute,
  fakeTemplateSrv,
  instanceSettings,
  lastCall,
  pickOption,
  setupGrafanaRuntime,
} from './helpers';

const RESOURCES: Record<string, unknown> = {
  regions: [{ value: { name: 'us-east-1' } }, { value: { name: 'eu-west-1' } }],
  namespaces: [{ value: 'AWS/EC2' }, { value: 'AWS/Lambda' }],
  metrics: [{ value: { name: 'CPUUtilization', namespace: 'AWS/EC2' } }],
  'dimension-keys': [{ value: 'InstanceId' }],
  'dimension-values': [{ value: 'i-123' }, { value: 'i-456' }],
};

function setup(resources: Record<string, unknown> = RESOURCES) {
  setupGrafanaRuntime();
  const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));
  const getResource = vi.spyOn(ds, 'getResource').mockImplementation(answerFrom(resources));
  const onChange = vi.fn();
  // Grafana starts a new annotation's editor with the support's default query.
  const initial = { refId: 'Anno', ...CloudWatchAnnotationSupport.getDefaultQuery!() } as CloudWatchQuery;
  render(
    <Controlled<CloudWatchQuery> initial={initial} onChange={onChange}>
      {(q, change) => <AnnotationQueryEditor datasource={ds} query={q} onChange={change} onRunQuery={() => {}} />}
    </Controlled>
  );
  return { ds, getResource, onChange, user: userEvent.setup() };
}

describe('Annotation query editor: the query JSON equals Grafana CloudWatch’s', () => {
  it('alarms of a metric', async () => {
    const { onChange, user } = setup();
    await pickOption('Region', 'eu-west-1');
    await pickOption('Namespace', 'AWS/EC2');
    await pickOption('Metric name', 'CPUUtilization');
    await pickOption('Statistic', 'Maximum');
    await user.click(screen.getByRole('button', { name: 'Add dimension' }));
    await pickOption('Dimension key 1', 'InstanceId');
    await pickOption('Dimension value 1', 'i-123');
    await user.type(screen.getByLabelText('Period'), '300');
    expect(lastCall(onChange)).toEqual({
      refId: 'Anno',
      queryMode: 'Annotations',
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      statistic: 'Maximum',
      dimensions: { InstanceId: ['i-123'] },
      period: '300',
    });
    expect(isCompleteAnnotationQuery(lastCall(onChange))).toBe(true);
  });

  it('alarms by name and action prefix; the prefix fields are disabled until prefix matching is on', async () => {
    const { onChange, user } = setup();
    expect(screen.getByLabelText('Action prefix')).toBeDisabled();
    await user.click(screen.getByLabelText('Enable prefix matching'));
    await user.type(screen.getByLabelText('Action prefix'), 'arn:aws:sns:us-east-1:123456789012:ops');
    await user.type(screen.getByLabelText('Alarm name prefix'), 'prod-');
    await user.click(screen.getByLabelText('Match exact'));
    expect(lastCall(onChange)).toEqual({
      refId: 'Anno',
      queryMode: 'Annotations',
      region: 'default',
      namespace: '',
      statistic: 'Average',
      prefixMatching: true,
      actionPrefix: 'arn:aws:sns:us-east-1:123456789012:ops',
      alarmNamePrefix: 'prod-',
      matchExact: false,
    });
  });

  it('failing regions / namespaces / metrics routes show their messages by the fields; typed values still work', async () => {
    const { onChange, user } = setup({
      ...RESOURCES,
      regions: new FailingRoute('regions route down'),
      namespaces: new FailingRoute('namespaces route down'),
      metrics: new FailingRoute('ListMetrics: AccessDenied'),
    });
    expect(await screen.findByText('Could not load regions: regions route down. Type a region or use “default”.')).toBeInTheDocument();
    expect(await screen.findByText('Could not load namespaces: namespaces route down. Type one.')).toBeInTheDocument();
    // No built-in region list stands in for the route: the menu offers only "default".
    await user.click(screen.getByLabelText('Region'));
    expect(screen.queryByText('eu-west-1')).not.toBeInTheDocument();
    expect(screen.queryByText('us-west-2')).not.toBeInTheDocument();
    await user.keyboard('{Escape}');
    await pickOption('Region', 'ap-east-2');
    await pickOption('Namespace', 'MyApp/Orders');
    expect(await screen.findByText('Could not load metrics: ListMetrics: AccessDenied. Type one.')).toBeInTheDocument();
    expect(lastCall(onChange)).toMatchObject({ region: 'ap-east-2', namespace: 'MyApp/Orders' });
  });

  it('asks the metrics route for the chosen namespace in the resolved region', async () => {
    const { getResource } = setup();
    await pickOption('Namespace', 'AWS/Lambda');
    await waitFor(() => expect(getResource).toHaveBeenCalledWith('metrics', { region: 'us-east-1', namespace: 'AWS/Lambda' }));
  });
});

describe('Annotation support', () => {
  it.each([
    [{ prefixMatching: true, actionPrefix: 'a', alarmNamePrefix: 'b' }, true],
    [{ prefixMatching: true, actionPrefix: 'a' }, false],
    [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization', statistic: 'Average', dimensions: { InstanceId: ['i-1'] } }, true],
    [{ namespace: 'AWS/EC2', metricName: 'CPUUtilization', statistic: 'Average', dimensions: {} }, false],
    [{ namespace: 'AWS/EC2', statistic: 'Average', dimensions: { InstanceId: ['i-1'] } }, false],
  ])('prepareQuery(%j) runs: %s', (target, runs) => {
    const anno = { name: 'alarms', enable: true, iconColor: 'red', target: { refId: 'Anno', queryMode: 'Annotations', region: 'default', ...target } };
    const prepared = CloudWatchAnnotationSupport.prepareQuery!(anno as any);
    expect(prepared === undefined).toBe(!runs);
    if (runs) {
      expect(prepared).toBe(anno.target);
    }
  });

  it('prepareAnnotation moves an old annotation’s fields into its target with Grafana’s defaults', () => {
    const old = {
      name: 'CPU alarms',
      enable: true,
      iconColor: 'red',
      datasource: { type: 'pyaws-cloudwatch-datasource', uid: 'cw' },
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: { InstanceId: 'i-1' },
      period: '300',
    };
    expect(CloudWatchAnnotationSupport.prepareAnnotation!(old)).toEqual({
      name: 'CPU alarms',
      enable: true,
      iconColor: 'red',
      datasource: { type: 'pyaws-cloudwatch-datasource', uid: 'cw' },
      builtIn: undefined,
      hide: undefined,
      target: {
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensions: { InstanceId: 'i-1' },
        period: '300',
        statistic: 'Average',
        region: 'default',
        queryMode: 'Annotations',
        refId: 'annotationQuery',
      },
    });
    const current = { name: 'x', target: { queryMode: 'Annotations', refId: 'A', region: 'eu-west-1' } };
    expect(CloudWatchAnnotationSupport.prepareAnnotation!(current)).toBe(current);
  });

  it('the data source registers it and interpolates an annotation query as Grafana sends it', () => {
    setTemplateSrv(fakeTemplateSrv({ region: 'eu-west-1', instance: ['i-1', 'i-2'] }));
    const ds = new DataSource(instanceSettings({ defaultRegion: 'us-east-1' }));
    expect(ds.annotations).toBe(CloudWatchAnnotationSupport);
    const target = {
      refId: 'Anno',
      queryMode: 'Annotations',
      region: '$region',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      statistic: 'Average',
      dimensions: { InstanceId: ['$instance'] },
    } as unknown as CloudWatchQuery;
    expect(ds.filterQuery(target)).toBe(true);
    expect(ds.applyTemplateVariables(target, {})).toEqual({
      refId: 'Anno',
      queryMode: 'Annotations',
      region: 'eu-west-1',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      statistic: 'Average',
      dimensions: { InstanceId: ['i-1', 'i-2'] },
      period: '',
      actionPrefix: '',
      alarmNamePrefix: '',
      type: 'annotationQuery',
    });
  });
});
