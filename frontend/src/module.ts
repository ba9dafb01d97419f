import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryModeEditor } from './components/QueryModeEditor';
import { DataSource } from './datasource';
import { CloudWatchJsonData, CloudWatchQuery, CloudWatchSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<DataSource, CloudWatchQuery, CloudWatchJsonData, CloudWatchSecureJsonData>(
  DataSource
)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryModeEditor);
