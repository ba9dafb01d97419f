import { useEffect, useState } from 'react';
import { SelectableValue } from '@grafana/data';

export const toOptions = (values: string[]): Array<SelectableValue<string>> =>
  Array.from(new Set(values)).map((v) => ({ label: v, value: v }));

/** Option for the current value even when the backend did not list it (custom value / variable). */
export function withCurrent(options: Array<SelectableValue<string>>, current?: string) {
  if (current && !options.some((o) => o.value === current)) {
    return [{ label: current, value: current }, ...options];
  }
  return options;
}

export interface OptionsState<T> {
  options: T[];
  loading: boolean;
  /** Why the last load failed (the picker then offers only what it can without the backend). */
  error?: string;
}

/**
 * The message of a failed resource call: the route's error JSON (`{"Message", "Error", "StatusCode"}`, Grafana
 * CloudWatch's shape; or Grafana's own `{"message"}`), a plain-text body, an Error, or text.
 */
export function errorText(e: unknown): string {
  const err = e as {
    data?: string | { Message?: string; Error?: string; message?: string; error?: string };
    message?: string;
    statusText?: string;
  };
  const data = err?.data;
  if (typeof data === 'string' && data) {
    return data;
  }
  const body = typeof data === 'object' ? data : undefined;
  return body?.Message || body?.message || body?.Error || body?.error || err?.message || err?.statusText || String(e);
}

/** Load options asynchronously whenever `deps` change; a failure gives an empty list and its message. */
export function useOptions<T = string>(load: () => Promise<T[]>, deps: unknown[]): OptionsState<T> {
  const [state, setState] = useState<OptionsState<T>>({ options: [], loading: false });
  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load()
      .then((options) => !cancelled && setState({ options, loading: false }))
      .catch((e) => !cancelled && setState({ options: [], loading: false, error: errorText(e) }));
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}
