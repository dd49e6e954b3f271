import { NotAssessableError, type Check, type Finding } from '../types.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { readAllSettings } from './settings.js';
import { quoteIdent } from '../format.js';

const pendingRestart: Check = {
  id: 'config.pending_restart',
  targets: ['config'],
  async run(ctx) {
    const rows = (await readAllSettings(ctx)).filter((r) => r.pendingRestart);
    // Warning: the running value is not what the files say, and the new value (possibly one the
    // server rejects) takes effect at the next restart, planned or not.
    return rows.map((r): Finding => ({
      check: 'config.pending_restart',
      severity: 'warning',
      object: r.name,
      title: `${r.name} was changed in the configuration but needs a restart to take effect`,
      detail:
        `The server still runs with ${r.name} = ${r.setting}${r.unit ? ` (${r.unit})` : ''}; the value in ` +
        'the configuration files applies only after the next restart.',
      recommendation:
        `Check the new value (SELECT * FROM pg_file_settings WHERE name = '${r.name}'), then restart in a ` +
        'maintenance window, or revert the file change.',
      evidence: { setting: r.name, running_value: r.setting, unit: r.unit, source: r.source },
    }));
  },
};

// A postmaster-level setting changed in the file shows up in pg_file_settings with this error;
// it is the pending-restart case above, not a broken line.
const NOT_APPLIED_YET = 'setting could not be applied';

const fileSettingErrors: Check = {
  id: 'config.file_settings_error',
  targets: ['config'],
  async run(ctx) {
    const [access] = await ctx.sql`
      select has_table_privilege('pg_catalog.pg_file_settings', 'SELECT')
         and has_function_privilege('pg_catalog.pg_show_all_file_settings()', 'EXECUTE') as readable`;
    if (!access.readable) {
      const role = quoteIdent(ctx.server.current_user);
      throw new NotAssessableError(
        'pg_file_settings (the parsed configuration files) is readable only by superusers unless granted',
        `GRANT SELECT ON pg_catalog.pg_file_settings TO ${role}; GRANT EXECUTE ON FUNCTION ` +
          `pg_catalog.pg_show_all_file_settings() TO ${role};`,
      );
    }
    const rows = await ctx.sql`
      select sourcefile, sourceline, name, setting, error, count(*) over () as total
      from pg_catalog.pg_file_settings
      where error is not null and error <> ${NOT_APPLIED_YET}
      order by sourcefile, sourceline
      limit ${LIST_CAP}`;
    const findings = rows.map((r): Finding => ({
      check: 'config.file_settings_error',
      severity: 'warning',
      object: `${r.sourcefile}:${r.sourceline}`,
      title: `Configuration file error at ${r.sourcefile}:${r.sourceline}`,
      detail:
        `${r.name ? `${r.name} = '${r.setting}': ` : ''}${r.error}. The line is ignored while the server ` +
        'runs; an invalid value in postgresql.conf can stop the server from starting after its next restart.',
      recommendation:
        `Fix or remove line ${r.sourceline} of ${r.sourcefile}, then SELECT pg_reload_conf(); and re-check ` +
        'pg_file_settings.',
      evidence: { file: r.sourcefile, line: r.sourceline, name: r.name, setting: r.setting, error: r.error },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'errors');
  },
};

export const configFileChecks: Check[] = [pendingRestart, fileSettingErrors];
