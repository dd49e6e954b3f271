import type { Check, Finding } from '../types.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { readAllSettings } from './settings.js';

export const SETTINGS_STATE_KEY = 'config.settings';

export interface RecordedSetting {
  setting: string;
  source: string;
  unit: string | null;
}

export type SettingsSnapshot = Record<string, RecordedSetting>;

/**
 * Sources that describe our own review connection (application_name, statement_timeout,
 * default_transaction_read_only ...) or values derived at run time (transaction_isolation ...);
 * they would show up as "changes" on every run.
 */
const SESSION_SOURCES = ['client', 'session', 'override'];

export interface SettingChange {
  name: string;
  before: RecordedSetting | null;
  after: RecordedSetting | null;
  /** The current value when a setting went back to its default (it is no longer in the snapshot). */
  currentValue: string | null;
}

/** Settings whose value differs between two snapshots; a setting absent from one side was at its default there. */
export function diffSettings(
  before: SettingsSnapshot,
  after: SettingsSnapshot,
  currentValues: Map<string, string>,
): SettingChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: SettingChange[] = [];
  for (const name of names) {
    const old = before[name] ?? null;
    const now = after[name] ?? null;
    if (old && now && old.setting === now.setting) continue;
    const currentValue = now ? now.setting : (currentValues.get(name) ?? null);
    // Back to a default that equals the recorded value is no change for the server.
    if (old && !now && currentValue === old.setting) continue;
    changes.push({ name, before: old, after: now, currentValue });
  }
  return changes;
}

const describe = (value: string | null, unit: string | null) =>
  value === null ? 'its default' : `'${value}'${unit ? ` (${unit})` : ''}`;

const settingChanged: Check = {
  id: 'config.setting_changed',
  targets: ['config'],
  async run(ctx) {
    const rows = await readAllSettings(ctx);
    const snapshot: SettingsSnapshot = {};
    const currentValues = new Map<string, string>();
    for (const r of rows) {
      currentValues.set(r.name, r.setting);
      if (r.source === 'default' || SESSION_SOURCES.includes(r.source)) continue;
      snapshot[r.name] = { setting: r.setting, source: r.source, unit: r.unit };
    }
    ctx.state[SETTINGS_STATE_KEY] = snapshot;

    // A first run (or a previous run that stored no settings) has nothing to compare with.
    const before = ctx.previousState[SETTINGS_STATE_KEY] as SettingsSnapshot | undefined;
    if (!before) return [];

    const changes = diffSettings(before, snapshot, currentValues);
    const findings = changes.slice(0, LIST_CAP).map((c): Finding => {
      const unit = c.after?.unit ?? c.before?.unit ?? null;
      const oldText = describe(c.before?.setting ?? null, unit);
      const newText = c.after ? describe(c.after.setting, unit) : `its default '${c.currentValue ?? ''}'`;
      return {
        check: 'config.setting_changed',
        severity: 'info',
        object: c.name,
        title: `${c.name} changed since the previous review: ${oldText} → ${newText}`,
        detail:
          `${c.name} was ${oldText}${c.before ? ` (from ${c.before.source})` : ''} at the previous review and ` +
          `is now ${newText}${c.after ? ` (from ${c.after.source})` : ''}.`,
        recommendation:
          'Confirm the change was intended; if not, revert it (ALTER SYSTEM, postgresql.conf, ALTER ' +
          'DATABASE/ROLE ... SET) and reload.',
        evidence: {
          setting: c.name,
          old: c.before?.setting ?? null,
          new: c.after ? c.after.setting : c.currentValue,
          unit,
          old_source: c.before?.source ?? 'default',
          new_source: c.after?.source ?? 'default',
          previous_execution_id: ctx.previous?.executionId ?? null,
        },
      };
    });
    return noteTruncation(findings, changes.length, 'changed settings');
  },
};

export const driftChecks: Check[] = [settingChanged];
