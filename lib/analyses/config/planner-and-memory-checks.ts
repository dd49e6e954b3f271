import { formatBytes } from '../format.js';
import type { Check, Finding, Severity } from '../types.js';
import { readAllSettings, readSettings, requireSetting, settingBytes } from './settings.js';

const disabledPlannerMethods: Check = {
  id: 'config.planner_method_disabled',
  targets: ['config'],
  async run(ctx) {
    // Compared with boot_val, not with "on": some switches (enable_partitionwise_join, ...) are off by default.
    const rows = (await readAllSettings(ctx)).filter(
      (r) => r.name.startsWith('enable_') && r.setting === 'off' && r.bootVal === 'on',
    );
    // postgresqltuner reports any disabled plan feature as "bad".
    return rows.map((r): Finding => ({
      check: 'config.planner_method_disabled',
      severity: 'warning',
      object: r.name,
      title: `Planner method ${r.name} is disabled server-wide`,
      detail:
        `${r.name} = off (set from ${r.source}). Every query on the server is planned as if this method were ` +
        'prohibitively expensive, which can turn index scans into sequential scans or hash joins into nested ' +
        'loops. It is a debugging switch, meant for one session at a time.',
      recommendation:
        `ALTER SYSTEM RESET ${r.name}; SELECT pg_reload_conf(); -- set it per session or per function if one ` +
        'query really needs it',
      evidence: { setting: r.name, value: r.setting, source: r.source },
    }));
  },
};

/**
 * postgresqltuner's bands for checkpoint_completion_target: below 0.5 "bad", 0.5–0.7 "low",
 * 0.7–0.9 ok, above 0.9 "too near to 1", 1 "too high". Its "bad" maps to warning, its warnings to info.
 */
export function classifyCompletionTarget(value: number): { severity: Severity; reason: string } | null {
  if (value < 0.5)
    return { severity: 'warning', reason: 'below 0.5: checkpoint writes are squeezed into a short burst' };
  if (value < 0.7)
    return {
      severity: 'info',
      reason: 'between 0.5 and 0.7: checkpoint writes are spread over only part of the interval',
    };
  if (value <= 0.9) return null;
  if (value < 1)
    return { severity: 'info', reason: 'above 0.9: a checkpoint can still be writing when the next one is due' };
  return { severity: 'warning', reason: 'at 1: checkpoints routinely overrun into the next one' };
}

const checkpointCompletionTarget: Check = {
  id: 'config.checkpoint_completion_target',
  targets: ['config'],
  async run(ctx) {
    const current = requireSetting(
      await readSettings(ctx, ['checkpoint_completion_target']),
      'checkpoint_completion_target',
      ctx.server.current_user,
    );
    const value = Number(current.setting);
    const verdict = classifyCompletionTarget(value);
    if (!verdict) return [];
    return [
      {
        check: 'config.checkpoint_completion_target',
        severity: verdict.severity,
        object: 'checkpoint_completion_target',
        title: `checkpoint_completion_target ${value} is out of the 0.7–0.9 range`,
        detail: `checkpoint_completion_target = ${value}: ${verdict.reason}.`,
        recommendation: 'ALTER SYSTEM SET checkpoint_completion_target = 0.9; SELECT pg_reload_conf();',
        evidence: { value, source: current.source },
      },
    ];
  },
};

const cacheSizeBelowSharedBuffers: Check = {
  id: 'config.effective_cache_size_below_shared_buffers',
  targets: ['config'],
  async run(ctx) {
    const settings = await readSettings(ctx, ['effective_cache_size', 'shared_buffers']);
    const cache = settingBytes(requireSetting(settings, 'effective_cache_size', ctx.server.current_user));
    const buffers = settingBytes(requireSetting(settings, 'shared_buffers', ctx.server.current_user));
    if (cache === null || buffers === null || cache >= buffers) return [];
    // pgtune sets effective_cache_size to 3/4 of RAM and shared_buffers to 1/4: the cache estimate
    // includes shared_buffers, so it can never sensibly be smaller.
    return [
      {
        check: 'config.effective_cache_size_below_shared_buffers',
        severity: 'warning',
        object: 'effective_cache_size',
        title: 'effective_cache_size is smaller than shared_buffers',
        detail:
          `effective_cache_size = ${formatBytes(cache)} but shared_buffers = ${formatBytes(buffers)}. ` +
          'effective_cache_size tells the planner how much of the data is likely cached (shared_buffers plus ' +
          'the OS page cache); underestimating it makes index scans look more expensive than they are.',
        recommendation:
          "ALTER SYSTEM SET effective_cache_size = '<about 3/4 of the server RAM>'; SELECT pg_reload_conf();",
        evidence: { effective_cache_size_bytes: cache, shared_buffers_bytes: buffers },
      },
    ];
  },
};

const untouchedDefaults: Check = {
  id: 'config.untouched_defaults',
  targets: ['config'],
  async run(ctx) {
    const settings = await readSettings(ctx, ['shared_buffers', 'work_mem', 'random_page_cost', 'seq_page_cost']);
    const role = ctx.server.current_user;
    const findings: Finding[] = [];
    const sharedBuffers = requireSetting(settings, 'shared_buffers', role);
    // The server cannot tell us its RAM, so leaving a compiled-in default is reported as info only.
    if (sharedBuffers.setting === sharedBuffers.bootVal) {
      findings.push({
        check: 'config.default_shared_buffers',
        severity: 'info',
        object: 'shared_buffers',
        title: `shared_buffers is still the compiled-in default (${formatBytes(settingBytes(sharedBuffers) ?? 0)})`,
        detail:
          'The default is sized to start on any machine, not for a database server. pgtune starts from 25% of ' +
          'the RAM on a dedicated server.',
        recommendation:
          "ALTER SYSTEM SET shared_buffers = '<about 25% of the server RAM>'; -- takes effect after a restart",
        evidence: { value: sharedBuffers.setting, unit: sharedBuffers.unit, source: sharedBuffers.source },
      });
    }
    const workMem = requireSetting(settings, 'work_mem', role);
    if (workMem.setting === workMem.bootVal) {
      findings.push({
        check: 'config.default_work_mem',
        severity: 'info',
        object: 'work_mem',
        title: `work_mem is still the default (${formatBytes(settingBytes(workMem) ?? 0)})`,
        detail:
          'Sorts and hashes larger than work_mem spill to temporary files. pgtune derives it from RAM and ' +
          'max_connections (roughly RAM / 4 / max_connections); check temporary file usage before raising it.',
        recommendation: "ALTER SYSTEM SET work_mem = '<RAM / 4 / max_connections>'; SELECT pg_reload_conf();",
        evidence: { value: workMem.setting, unit: workMem.unit, source: workMem.source },
      });
    }
    const randomPageCost = requireSetting(settings, 'random_page_cost', role);
    const seqPageCost = requireSetting(settings, 'seq_page_cost', role);
    if (randomPageCost.setting === randomPageCost.bootVal) {
      findings.push({
        check: 'config.default_random_page_cost',
        severity: 'info',
        object: 'random_page_cost',
        title: 'random_page_cost is still 4, a value meant for spinning disks',
        detail:
          `random_page_cost = ${randomPageCost.setting}, seq_page_cost = ${seqPageCost.setting}. This is only ` +
          'a problem if the data lives on SSD or NVMe storage: there random reads cost about the same as ' +
          'sequential ones, and postgresqltuner advises random_page_cost = seq_page_cost (pgtune uses 1.1). On ' +
          'rotating disks 4 is right; the storage type cannot be seen from SQL.',
        recommendation: 'On SSD storage: ALTER SYSTEM SET random_page_cost = 1.1; SELECT pg_reload_conf();',
        evidence: { random_page_cost: Number(randomPageCost.setting), seq_page_cost: Number(seqPageCost.setting) },
      });
    }
    return findings;
  },
};

export const plannerAndMemoryChecks: Check[] = [
  disabledPlannerMethods,
  checkpointCompletionTarget,
  cacheSizeBelowSharedBuffers,
  untouchedDefaults,
];
