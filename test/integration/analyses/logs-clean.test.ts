import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { AnalysisTarget, Finding, PreviousRun, ReviewResult } from '../../../lib/analyses/types.js';
import { createTargetDatabase, type TargetDatabase, waitForLog } from '../../helpers/target-db.js';
import { asPrevious } from '../../helpers/findings.js';

let db: TargetDatabase;
let logsRun: ReviewResult;
let securityRun: ReviewResult;

const review = (target: AnalysisTarget, previous: PreviousRun | null) =>
  runAnalysis({
    taskType: 'log_analysis',
    params: { query_timeout: 60, analysis_target: target },
    target: db.options(),
    previous,
  });

/** The log is shared by the whole cluster: a finding is about this database if it names it. */
const mentionsThisDatabase = (f: Finding) =>
  f.object === db.name || Number((f.evidence.databases as Record<string, number> | undefined)?.[db.name] ?? 0) > 0;

beforeAll(async () => {
  db = await createTargetDatabase('logs_clean');
  const baseline = await review('logs', null);
  await db.admin`create table orders (id int primary key, note text)`;
  await db.admin`insert into orders select g, 'n' || g from generate_series(1, 1000) g`;
  await db.admin`select count(*) from orders where id < 10`;
  await waitForLog(db.admin, db.name);
  logsRun = await review('logs', asPrevious(baseline));
  securityRun = await review('security', asPrevious(baseline));
});

afterAll(async () => {
  await db?.drop();
});

describe('log_analysis on a database that does nothing wrong', () => {
  it('reports nothing critical or warning about it, under either target', () => {
    const aboutUs = [...logsRun.findings, ...securityRun.findings].filter(mentionsThisDatabase);
    expect(aboutUs.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('still reports what it read, as info', () => {
    for (const result of [logsRun, securityRun]) {
      expect(result.not_assessable).toEqual([]);
      expect(result.findings.find((f) => f.check === 'logs.coverage')).toMatchObject({
        severity: 'info',
        evidence: { first_run: false },
      });
    }
  });
});
