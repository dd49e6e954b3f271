import type { Check, Finding } from '../types.js';
import { isOff, readSettings, requireSetting } from './settings.js';

interface Switch {
  setting: string;
  check: string;
  title: string;
  why: string;
}

// postgresqltuner reports each of these as "bad" when off; all four put the data itself at risk,
// so they are critical here.
const mustStayOn: Switch[] = [
  {
    setting: 'fsync',
    check: 'config.fsync_disabled',
    title: 'fsync is off: a power loss or OS crash can corrupt the whole cluster',
    why:
      'Without fsync PostgreSQL does not wait for writes to reach durable storage; after an operating-system ' +
      'crash or power loss the data files can be left inconsistent beyond repair.',
  },
  {
    setting: 'full_page_writes',
    check: 'config.full_page_writes_disabled',
    title: 'full_page_writes is off: torn pages after a crash cannot be repaired',
    why:
      'Without full page images in WAL, a page half-written during an OS crash cannot be restored by recovery, ' +
      'which leaves silent corruption.',
  },
  {
    setting: 'autovacuum',
    check: 'config.autovacuum_disabled',
    title: 'autovacuum is off: bloat grows and transaction ID wraparound is not prevented',
    why:
      'Dead rows are no longer cleaned up and statistics go stale; only the anti-wraparound vacuum still runs, ' +
      'often at the worst moment.',
  },
  {
    setting: 'track_counts',
    check: 'config.track_counts_disabled',
    title: 'track_counts is off: autovacuum cannot tell which tables need vacuuming',
    why:
      'Autovacuum decides what to vacuum and analyze from the row counters that track_counts collects; without ' +
      'them it skips ordinary maintenance.',
  },
];

const durabilitySwitches: Check = {
  id: 'config.durability_switches',
  targets: ['config'],
  async run(ctx) {
    const settings = await readSettings(
      ctx,
      mustStayOn.map((s) => s.setting),
    );
    const findings: Finding[] = [];
    for (const s of mustStayOn) {
      const current = requireSetting(settings, s.setting, ctx.server.current_user);
      if (!isOff(current.setting)) continue;
      findings.push({
        check: s.check,
        severity: 'critical',
        object: s.setting,
        title: s.title,
        detail: `${s.setting} = ${current.setting} (set from ${current.source}). ${s.why}`,
        recommendation: `ALTER SYSTEM SET ${s.setting} = on; SELECT pg_reload_conf();`,
        evidence: { setting: s.setting, value: current.setting, source: current.source },
      });
    }
    return findings;
  },
};

const synchronousCommit: Check = {
  id: 'config.synchronous_commit_off',
  targets: ['config'],
  async run(ctx) {
    const current = requireSetting(
      await readSettings(ctx, ['synchronous_commit']),
      'synchronous_commit',
      ctx.server.current_user,
    );
    if (!isOff(current.setting)) return [];
    // A deliberate trade-off the manual documents (no corruption, only the last commits at risk), so info.
    return [
      {
        check: 'config.synchronous_commit_off',
        severity: 'info',
        object: 'synchronous_commit',
        title: 'synchronous_commit is off: the last transactions acknowledged before a crash can be lost',
        detail:
          `synchronous_commit = off (set from ${current.source}). Commits return before their WAL is flushed; ` +
          'a crash loses up to three times wal_writer_delay of acknowledged transactions, without corrupting ' +
          'data.',
        recommendation:
          'If losing acknowledged commits is not acceptable: ALTER SYSTEM SET synchronous_commit = on; SELECT ' +
          'pg_reload_conf(); (or set it per transaction where speed matters more)',
        evidence: { value: current.setting, source: current.source },
      },
    ];
  },
};

const walLevel: Check = {
  id: 'config.wal_level_minimal',
  targets: ['config'],
  async run(ctx) {
    const current = requireSetting(await readSettings(ctx, ['wal_level']), 'wal_level', ctx.server.current_user);
    if (current.setting !== 'minimal') return [];
    // postgresqltuner: "bad" with urgent advice, since point-in-time recovery is impossible.
    return [
      {
        check: 'config.wal_level_minimal',
        severity: 'warning',
        object: 'wal_level',
        title: 'wal_level is minimal: no point-in-time recovery and no replicas',
        detail:
          'wal_level = minimal writes too little WAL for archiving, streaming replication or point-in-time ' +
          'recovery; a restore can only go back to the last full backup.',
        recommendation: "ALTER SYSTEM SET wal_level = 'replica'; -- takes effect after a restart",
        evidence: { value: current.setting, source: current.source },
      },
    ];
  },
};

export const durabilityChecks: Check[] = [durabilitySwitches, synchronousCommit, walLevel];
