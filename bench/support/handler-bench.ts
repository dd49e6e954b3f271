import { randomBytes } from 'node:crypto';
import type postgres from 'postgres';
import { closeDb, getDb, type Db } from '../../db/client.js';
import type { Handler } from '../../lib/http/handler.js';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from '../../lib/http/types.js';
import { createBenchDatabase, type BenchDatabase } from './bench-database.js';
import { percentile, round } from './figures.js';
import { explainAnalyze, observeQueries, serviceClient, type QueryObserver } from './query-observer.js';
import { useServiceEnvironment } from './service-environment.js';

/** One endpoint measured warm: its handler called in-process with a literal API Gateway v2 event. */
export interface HandlerCase {
  key: string;
  label: string;
  calls: number;
  handler: Handler;
  event: () => APIGatewayProxyEventV2;
  /** Whether the answer's body is the expected one; checked after every call, outside the timing. */
  check: (body: string) => boolean;
  /** Run before each call, outside the timing. */
  before?: () => Promise<unknown>;
}

// Measured with bearer-token authentication on, as a deployed stage runs.
const token = randomBytes(32).toString('hex');
/** The header every event of a case carries. */
export const benchHeaders = { authorization: `Bearer ${token}` };

export interface HandlerBench {
  database: BenchDatabase;
  db: Db;
  client: postgres.Sql;
  observer: QueryObserver;
}

/**
 * A database of the benchmark's own, the service pointed at it with token authentication on, and its
 * statements observed. `work` seeds and measures; the database is dropped afterwards, whatever happens.
 */
export async function runHandlerBench(label: string, work: (bench: HandlerBench) => Promise<void>): Promise<void> {
  const database = await createBenchDatabase(label);
  useServiceEnvironment({ databaseUrl: database.url });
  process.env.API_AUTH = 'tokens';
  process.env.API_TOKENS = token;
  try {
    const db = getDb();
    const client = serviceClient(db);
    await work({ database, db, client, observer: observeQueries(client) });
  } finally {
    await closeDb();
    await database.drop();
  }
}

export interface CaseTimings {
  timings: number[];
  /** Characters of the last answer's body. */
  size: number;
  p50: number;
  p95: number;
  p99: number;
}

/** `warmUp` untimed calls, then `c.calls` timed ones: handler time only, the event is built before the clock starts. */
export async function measureCase(c: HandlerCase, warmUp: number): Promise<CaseTimings> {
  for (let i = 0; i < warmUp; i++) await callCase(c);
  const timings: number[] = [];
  let size = 0;
  for (let i = 0; i < c.calls; i++) {
    await c.before?.();
    const event = c.event();
    const started = performance.now();
    const response = await c.handler(event, {});
    timings.push(performance.now() - started);
    size = expectAnswer(c, response);
  }
  return {
    timings,
    size,
    p50: percentile(timings, 50),
    p95: percentile(timings, 95),
    p99: percentile(timings, 99),
  };
}

/** The figures of a case as results.json keeps them: `<key>.p50_ms`, `<key>.p95_ms`, `<key>.p99_ms`. */
export function caseFigures(c: HandlerCase, measured: CaseTimings): Record<string, number> {
  return {
    [`${c.key}.p50_ms`]: round(measured.p50),
    [`${c.key}.p95_ms`]: round(measured.p95),
    [`${c.key}.p99_ms`]: round(measured.p99),
  };
}

/** `EXPLAIN ANALYZE` of every statement one more call of the case sends, labelled with the statement's start. */
export async function casePlans(
  bench: HandlerBench,
  c: HandlerCase,
  labelLength = 100,
): Promise<Array<{ label: string; lines: string[] }>> {
  await c.before?.();
  const { statements } = await bench.observer.capture(() => callCase(c));
  const plans: Array<{ label: string; lines: string[] }> = [];
  for (const statement of statements)
    plans.push({
      label: `${c.label}: ${statement.text.replace(/\s+/g, ' ').slice(0, labelLength)}...`,
      lines: await explainAnalyze(bench.client, statement),
    });
  return plans;
}

export function printPlans(plans: ReadonlyArray<{ label: string; lines: string[] }>): void {
  for (const plan of plans) {
    console.log(`\n-- ${plan.label}`);
    for (const line of plan.lines) console.log(`   ${line}`);
  }
}

/** A check of a JSON answer. */
export const jsonBody =
  (check: (body: unknown) => boolean) =>
  (body: string): boolean =>
    check(body ? JSON.parse(body) : undefined);

async function callCase(c: HandlerCase): Promise<void> {
  expectAnswer(c, await c.handler(c.event(), {}));
}

function expectAnswer(c: HandlerCase, response: APIGatewayProxyResultV2): number {
  const body = response.body ?? '';
  if (response.statusCode !== 200 || !c.check(body))
    throw new Error(`${c.label} answered ${response.statusCode}: ${body.slice(0, 300)}`);
  return body.length;
}
