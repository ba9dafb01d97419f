import type { CloudWatchSecureJsonData } from '../types';
import type { ConfigEditorProps } from './ConfigEditor';

/**
 * SecretInput's reset, the Grafana way: the stored secret counts as not configured and an empty value is sent, so
 * saving clears it. (@grafana/data's updateDatasourcePluginResetOption does the same but is typed for the base
 * jsonData only.)
 */
export function resetSecret(props: ConfigEditorProps, key: keyof CloudWatchSecureJsonData) {
  const { options, onOptionsChange } = props;
  onOptionsChange({
    ...options,
    secureJsonFields: { ...options.secureJsonFields, [key]: false },
    secureJsonData: { ...options.secureJsonData, [key]: '' },
  });
}
