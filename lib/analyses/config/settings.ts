import { perReview } from '../per-review.js';
import { NotAssessableError, type CheckContext } from '../types.js';
import { quoteIdent } from '../format.js';

export interface Setting {
  name: string;
  setting: string;
  unit: string | null;
  source: string;
  bootVal: string | null;
  pendingRestart: boolean;
}

// Read once per review for all the checks that look settings up, in name order.
const allSettings = perReview(async (ctx) => {
  const rows =
    await ctx.sql`select name, setting, unit, source, boot_val, pending_restart from pg_catalog.pg_settings order by name`;
  return new Map(rows.map((r) => [r.name as string, toSetting(r)]));
});

/** Every setting visible to the reviewing role, in name order. */
export async function readAllSettings(ctx: CheckContext): Promise<Setting[]> {
  return [...(await allSettings(ctx)).values()];
}

/**
 * The named settings from pg_settings. Settings marked superuser-only (shared_preload_libraries,
 * data_directory, ...) are left out of pg_settings for roles without pg_read_all_settings, so a
 * missing name means "not visible to this role", which `requireSetting` turns into not assessable.
 */
export async function readSettings(ctx: CheckContext, names: string[]): Promise<Map<string, Setting>> {
  const settings = await allSettings(ctx);
  return new Map(names.flatMap((name) => (settings.has(name) ? [[name, settings.get(name)!] as const] : [])));
}

export function toSetting(r: Record<string, unknown>): Setting {
  return {
    name: r.name as string,
    setting: (r.setting as string | null) ?? '',
    unit: (r.unit as string | null) ?? null,
    source: r.source as string,
    bootVal: (r.boot_val as string | null) ?? null,
    pendingRestart: r.pending_restart === true,
  };
}

export function requireSetting(settings: Map<string, Setting>, name: string, role: string): Setting {
  const found = settings.get(name);
  if (!found) {
    throw new NotAssessableError(
      `The setting ${name} is not visible to the reviewing role`,
      `GRANT pg_read_all_settings TO ${quoteIdent(role)};`,
    );
  }
  return found;
}

const unitBytes: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** pg_settings reports memory in units such as "8kB" (shared_buffers) or "kB" (work_mem). */
export function settingBytes(s: Setting): number | null {
  const match = /^(\d*)(B|kB|MB|GB|TB)$/.exec(s.unit ?? '');
  if (!match) return null;
  const value = Number(s.setting);
  if (!Number.isFinite(value)) return null;
  return value * Number(match[1] || 1) * unitBytes[match[2]];
}

/** "on"/"off" as PostgreSQL prints booleans; older releases also accept true/false spellings. */
export function isOff(value: string): boolean {
  return ['off', 'false', '0', 'no'].includes(value.trim().toLowerCase());
}
