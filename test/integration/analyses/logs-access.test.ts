import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import { logChecks } from '../../../lib/analyses/logs/index.js';
import type { TargetOptions } from '../../../lib/target/open-target.js';
import type { AnalysisTarget, PreviousRun, ReviewResult } from '../../../lib/analyses/types.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../../helpers/target-db.js';
import { asPrevious } from '../../helpers/findings.js';

const suffix = randomBytes(4).toString('hex');
const monitorOnly = `logs_monitor_${suffix}`;
const noPrivileges = `logs_plain_${suffix}`;
const reader = `logs_reader_${suffix}`;
const latin = `logs_latin_${suffix}`;
const password = 'reviewer-password';
let db: TargetDatabase;

const review = (target: AnalysisTarget, options: TargetOptions, previous: PreviousRun | null = null) =>
  runAnalysis({
    taskType: 'log_analysis',
    params: { query_timeout: 60, analysis_target: target },
    target: options,
    previous,
  });
const as = (username: string) => db.options({ username, password });
const coverageOf = (result: ReviewResult) => result.findings.find((f) => f.check === 'logs.coverage');

beforeAll(async () => {
  db = await createTargetDatabase('logs_access');
  const root = targetAdmin();
  await root.unsafe(`create role ${monitorOnly} login password '${password}' in role pg_monitor`);
  await root.unsafe(`create role ${noPrivileges} login password '${password}'`);
  await root.unsafe(`create role ${reader} login password '${password}' in role pg_monitor`);
  await root.end();
  // Function privileges live in each database: the grant covers the reviewed database only.
  await db.admin.unsafe(`grant execute on function pg_read_file(text, bigint, bigint) to ${reader}`);
});

afterAll(async () => {
  await db?.drop();
  const root = targetAdmin();
  await root.unsafe(`drop database if exists ${latin} with (force)`);
  for (const role of [monitorOnly, noPrivileges, reader]) await root.unsafe(`drop role if exists ${role}`);
  await root.end();
});

describe('log_analysis without the privileges to read the log', () => {
  it('reports every check as not assessable, naming the pg_read_file grant, when the role has only pg_monitor', async () => {
    const result = await review('logs', as(monitorOnly));
    expect(result.findings).toEqual([]);
    // One reason, one entry: it lists every log check that could not run.
    expect(result.not_assessable).toHaveLength(1);
    expect([...(result.not_assessable[0].checks ?? [])].sort()).toEqual(
      logChecks
        .filter((c) => c.targets.includes('logs'))
        .map((c) => c.id)
        .sort(),
    );
    expect(result.not_assessable[0].enable).toBe(
      `GRANT EXECUTE ON FUNCTION pg_read_file(text, bigint, bigint) TO ${monitorOnly};`,
    );
    expect(result.summary.not_assessable).toBe(result.not_assessable.length);
  });

  it('names both grants for a role without pg_monitor, under the security target too', async () => {
    const result = await review('security', as(noPrivileges));
    expect(result.findings).toEqual([]);
    expect(result.not_assessable).toHaveLength(1);
    expect(result.not_assessable[0].checks ?? [result.not_assessable[0].check]).toHaveLength(
      logChecks.filter((c) => c.targets.includes('security')).length,
    );
    expect(result.not_assessable[0].enable).toBe(
      `GRANT pg_monitor TO ${noPrivileges}; GRANT EXECUTE ON FUNCTION pg_read_file(text, bigint, bigint) TO ${noPrivileges};`,
    );
  });

  it('reads the log once pg_monitor and EXECUTE on pg_read_file are granted', async () => {
    const result = await review('logs', as(reader));
    expect(result.not_assessable).toEqual([]);
    expect(coverageOf(result)).toMatchObject({ severity: 'info', evidence: { first_run: true } });
    expect(Number(coverageOf(result)?.evidence.bytes_read)).toBeGreaterThan(0);
  });
});

describe('log_analysis on a log holding bytes that are not UTF-8', () => {
  let baseline: ReviewResult;

  beforeAll(async () => {
    baseline = await review('logs', db.options());
    const root = targetAdmin();
    await root.unsafe(`create database ${latin} encoding 'SQL_ASCII' template template0`);
    await root.end();
    // A SQL_ASCII database logs raw bytes: chr(233) is a lone 0xE9, invalid in UTF-8.
    const latinAdmin = targetAdmin(latin);
    await expect(latinAdmin.unsafe(`select ('caf' || chr(233))::int`)).rejects.toThrow();
    await latinAdmin.unsafe(`do $$ begin raise log 'pg-reviewer test marker ${latin}'; end $$`);
    await latinAdmin.end();
    for (let attempt = 0; attempt < 50; attempt++) {
      const [row] = await db.admin<{ found: boolean }[]>`
        select position(convert_to(${`pg-reviewer test marker ${latin}`}::text, 'UTF8') in pg_read_binary_file('log/' || name, greatest(size - 4000000, 0), 4000000)) > 0 as found
        from pg_ls_logdir() where name like '%.log' order by modification desc limit 1`;
      if (row.found) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('still reads the entry when pg_read_binary_file may be used, and skips nothing', async () => {
    const result = await review('logs', db.options(), asPrevious(baseline));
    expect(coverageOf(result)?.evidence.unreadable_bytes).toBe(0);
    const error = result.findings.find(
      (f) => f.check === 'logs.frequent_errors' && f.title === 'ERROR: invalid input syntax for type integer: ...',
    );
    expect((error?.evidence.databases as Record<string, number>)[latin]).toBe(1);
  });

  it('skips the undecodable chunk and says so, instead of failing, when only pg_read_file is granted', async () => {
    const result = await review('logs', as(reader), asPrevious(baseline));
    expect(result.not_assessable).toEqual([]);
    expect(Number(coverageOf(result)?.evidence.unreadable_bytes)).toBeGreaterThan(0);
    expect(coverageOf(result)?.detail).toContain('not valid text and were skipped');
  });
});
