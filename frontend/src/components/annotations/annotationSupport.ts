import { AnnotationQuery, AnnotationSupport } from '@grafana/data';

import { LegacyAnnotation, migrateAnnotation } from '../../migrations';
import { CloudWatchAnnotationQuery, CloudWatchQuery, DEFAULT_ANNOTATION_QUERY } from '../../types';
import { AnnotationQueryEditor } from './AnnotationQueryEditor';

/**
 * Whether an alarm annotation query can run, with Grafana CloudWatch's rule: prefix matching needs both prefixes;
 * otherwise namespace, metric, statistic and at least one dimension (DescribeAlarmsForMetric needs the metric).
 */
export function isCompleteAnnotationQuery(target?: Partial<CloudWatchAnnotationQuery>): boolean {
  if (!target) {
    return false;
  }
  const { prefixMatching, actionPrefix, alarmNamePrefix, namespace, metricName, statistic, dimensions } = target;
  if (prefixMatching) {
    return !!actionPrefix && !!alarmNamePrefix;
  }
  return !!namespace && !!metricName && !!statistic && Object.values(dimensions ?? {}).length > 0;
}

/**
 * The data source's `annotations`: Grafana runs `prepareQuery`'s result through the data source's `query` (the
 * backend answers an annotations frame) and turns the frame's rows into events.
 */
export const CloudWatchAnnotationSupport: AnnotationSupport<CloudWatchQuery> = {
  prepareAnnotation: (json: LegacyAnnotation) => migrateAnnotation(json) as unknown as AnnotationQuery<CloudWatchQuery>,
  // undefined = incomplete: Grafana then skips the annotation quietly instead of failing.
  prepareQuery: (anno: AnnotationQuery<CloudWatchQuery>) => {
    const target = anno.target as unknown as CloudWatchAnnotationQuery | undefined;
    return isCompleteAnnotationQuery(target) ? (target as unknown as CloudWatchQuery) : undefined;
  },
  getDefaultQuery: () => ({ ...DEFAULT_ANNOTATION_QUERY }) as unknown as Partial<CloudWatchQuery>,
  QueryEditor: AnnotationQueryEditor,
};
