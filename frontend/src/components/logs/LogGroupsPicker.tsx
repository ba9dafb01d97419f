import React, { useEffect, useState } from 'react';
import { css } from '@emotion/css';
import { GrafanaTheme2, SelectableValue } from '@grafana/data';
import { Button, Checkbox, IconButton, InlineField, InlineFieldRow, Input, Select, useStyles2 } from '@grafana/ui';

import { DataSource } from '../../datasource';
import { LogGroup } from '../../types';
import { useOptions } from '../options';
import { LABEL_WIDTH } from '../QueryEditor';

/** StartQuery takes at most 50 log groups (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html). */
export const MAX_LOG_GROUPS = 50;

const ALL_ACCOUNTS = 'all';

export interface Props {
  datasource: DataSource;
  region: string;
  selected: LogGroup[];
  onChange: (logGroups: LogGroup[]) => void;
}

const isVariableGroup = (g: LogGroup) => g.name?.startsWith('$');

/**
 * Log-group picker: the selected groups as chips; "Select log groups" opens a search by name through the
 * `log-groups` route (DescribeLogGroups), narrowed to one source account when the data source is a cross-account
 * monitoring account (`accounts` lists its sources), with one checkbox per group. A dashboard variable can stand for
 * groups (stored as `{ name: '$var', arn: '$var' }`, expanded when the query runs).
 */
export function LogGroupsPicker({ datasource, region, selected, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  const [pattern, setPattern] = useState('');
  const [accountId, setAccountId] = useState(ALL_ACCOUNTS);
  const [results, setResults] = useState<{ groups: LogGroup[]; loading: boolean; error?: string }>({
    groups: [],
    loading: false,
  });

  const accounts = useOptions(() => datasource.getAccounts(region), [region]);
  const accountOptions: Array<SelectableValue<string>> = accounts.options.length
    ? [
        { label: 'All', value: ALL_ACCOUNTS, description: 'Every linked account' },
        ...accounts.options.map((a) => ({ label: a.label || a.id, value: a.id, description: a.id })),
      ]
    : [];
  const accountLabel = (id?: string) => accounts.options.find((a) => a.id === id)?.label;

  // Search as the user types (debounced) while the picker is open.
  useEffect(() => {
    if (!open) {
      return;
    }
    let cancelled = false;
    setResults((r) => ({ ...r, loading: true }));
    const timer = setTimeout(() => {
      datasource
        .getLogGroups(
          region,
          { logGroupPattern: pattern, listAllLogGroups: true },
          { accountId: accountOptions.length ? accountId : undefined }
        )
        .then((items) => {
          if (!cancelled) {
            const groups = items.map((i) => ({
              arn: i.value.arn,
              name: i.value.name,
              accountId: i.accountId,
              accountLabel: i.accountId ? accountLabel(i.accountId) : undefined,
            }));
            setResults({ groups, loading: false });
          }
        })
        .catch((e) => !cancelled && setResults({ groups: [], loading: false, error: String(e?.data?.message ?? e) }));
    }, 250);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, region, pattern, accountId, accounts.options.length]);

  const isSelected = (g: LogGroup) => selected.some((s) => s.arn === g.arn);
  const toggle = (g: LogGroup, checked: boolean) =>
    onChange(checked ? [...selected.filter((s) => s.arn !== g.arn), withoutEmpty(g)] : selected.filter((s) => s.arn !== g.arn));
  const variable = selected.find(isVariableGroup)?.name;
  const setVariable = (name?: string) =>
    onChange([...selected.filter((g) => !isVariableGroup(g)), ...(name ? [{ name, arn: name }] : [])]);
  const count = selected.filter((g) => !isVariableGroup(g)).length;

  return (
    <>
      <InlineFieldRow>
        <InlineField label="Log groups" labelWidth={LABEL_WIDTH} grow>
          <div className={styles.chips} data-testid="selected-log-groups">
            {selected.length === 0 && <span className={styles.muted}>No log groups selected</span>}
            {selected.map((g) => (
              <span key={g.arn} className={styles.chip} title={g.arn}>
                {g.name}
                {g.accountLabel ? <span className={styles.muted}> ({g.accountLabel})</span> : null}
                <IconButton
                  name="times"
                  size="sm"
                  aria-label={`Remove log group ${g.name}`}
                  onClick={() => onChange(selected.filter((s) => s.arn !== g.arn))}
                />
              </span>
            ))}
            <Button
              variant="secondary"
              size="sm"
              icon={open ? 'angle-up' : 'search'}
              onClick={() => setOpen(!open)}
              aria-expanded={open}
            >
              {open ? 'Close' : 'Select log groups'}
            </Button>
            {selected.length > 1 && (
              <Button variant="secondary" fill="text" size="sm" onClick={() => onChange([])}>
                Clear selection
              </Button>
            )}
          </div>
        </InlineField>
      </InlineFieldRow>
      {open && (
        <div className={styles.panel} data-testid="log-group-search">
          <InlineFieldRow>
            <InlineField label="Search" labelWidth={LABEL_WIDTH} tooltip="Log groups whose name contains this text">
              <Input
                aria-label="Log group name search"
                width={36}
                placeholder="e.g. /aws/lambda/"
                value={pattern}
                onChange={(e) => setPattern(e.currentTarget.value)}
              />
            </InlineField>
            {accountOptions.length > 0 && (
              <InlineField label="Account" labelWidth={10}>
                <Select
                  inputId="cw-log-group-account"
                  aria-label="Account"
                  width={28}
                  value={accountId}
                  options={accountOptions}
                  onChange={(v) => setAccountId(v?.value ?? ALL_ACCOUNTS)}
                />
              </InlineField>
            )}
            <InlineField
              label="Variable"
              labelWidth={12}
              tooltip="A single- or multi-value dashboard variable whose values are log group ARNs"
            >
              <Select
                inputId="cw-log-group-variable"
                aria-label="Log group template variable"
                width={24}
                isClearable
                allowCustomValue
                value={variable ?? null}
                options={datasource.getVariables().map((v) => ({ label: v, value: v }))}
                onChange={(v) => setVariable(v?.value)}
              />
            </InlineField>
          </InlineFieldRow>
          <div className={styles.results} role="list" aria-label="Log group search results">
            {results.loading && <span className={styles.muted}>Loading…</span>}
            {!results.loading && results.error && <span className={styles.error}>{results.error}</span>}
            {!results.loading && !results.error && results.groups.length === 0 && (
              <span className={styles.muted}>No log groups found</span>
            )}
            {!results.loading &&
              results.groups.map((g) => (
                <div role="listitem" key={g.arn} className={styles.result}>
                  <Checkbox
                    aria-label={g.name}
                    label={g.name}
                    description={g.accountId ? `${g.accountLabel ?? ''} ${g.accountId}`.trim() : undefined}
                    value={isSelected(g)}
                    disabled={!isSelected(g) && count >= MAX_LOG_GROUPS}
                    onChange={(e) => toggle(g, e.currentTarget.checked)}
                  />
                </div>
              ))}
          </div>
          <div className={styles.muted}>
            {count} log group{count === 1 ? '' : 's'} selected (at most {MAX_LOG_GROUPS} per query)
          </div>
        </div>
      )}
    </>
  );
}

/** Drop keys whose value is undefined, so the stored JSON has only what Grafana's would have. */
function withoutEmpty(g: LogGroup): LogGroup {
  return Object.fromEntries(Object.entries(g).filter(([, v]) => v !== undefined)) as unknown as LogGroup;
}

const getStyles = (theme: GrafanaTheme2) => ({
  chips: css({ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: theme.spacing(0.5), minHeight: 32 }),
  chip: css({
    display: 'inline-flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    padding: theme.spacing(0, 0.5, 0, 1),
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  muted: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  error: css({ color: theme.colors.error.text }),
  panel: css({
    margin: theme.spacing(0.5, 0, 1, 0),
    padding: theme.spacing(1),
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
  results: css({ maxHeight: 220, overflowY: 'auto', margin: theme.spacing(1, 0) }),
  result: css({ padding: theme.spacing(0.25, 0) }),
});
