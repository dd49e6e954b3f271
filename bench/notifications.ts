/**
 * What notifications cost the consumer, and how fast the sender empties its outbox:
 * - recording outcomes in batches of 16 (one consumer's concurrency): the plain UPDATE the consumer
 *   sent before notifications (the baseline), then the transaction that also writes the outbox, with
 *   no channel and with three active channels whose rules take every run's new findings;
 * - sending 500 pending deliveries to a local receiver through the outbox (claim, POST, record each
 *   attempt), against the baseline of the same 500 POSTs sent 8 at a time with no database at all.
 *
 *   npx tsx bench/notifications.ts
 */
import { sql } from 'drizzle-orm';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeDb, getDb } from '../db/client.js';
import { finishExecutions, type StoredOutcome } from '../db/queries/executions.js';
import { encryptSecret } from '../lib/crypto/secret-box.js';
import { recordOutcomes } from '../lib/consumer/record-outcomes.js';
import { storedOutcome } from '../lib/consumer/stored-outcome.js';
import { deliverNotifications } from '../lib/notifications/deliver.js';
import { postJson } from '../lib/notifications/post-json.js';
import { createBenchDatabase } from './support/bench-database.js';
import { heading, median, printTable, round } from './support/figures.js';
import { recordResults } from './support/results-file.js';
import { useServiceEnvironment } from './support/service-environment.js';

const BATCH = 16;
const BATCHES = 60;
const DELIVERIES = 500;

const database = await createBenchDatabase('notifications');
useServiceEnvironment({ databaseUrl: database.url });
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200).end('ok'));
});
await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

try {
  const db = getDb();
  const run = (statement: ReturnType<typeof sql>) => db.execute(statement);
  const [connection] = await run(sql`
    insert into connections (name, host, port, database, username, sslmode) values ('bench', '127.0.0.1', 5432, ${database.name}, 'postgres', 'disable') returning id`);
  const [task] = await run(sql`
    insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, task_params)
    values ('bench', 'table_analysis', ${connection.id}, '0 2 * * *', '{"query_timeout":300,"analysis_target":"tables"}') returning id`);

  // A realistic result: ten findings, two of them new since the previous run.
  const findings = Array.from({ length: 10 }, (_, i) => ({
    check: 'tables.missing_primary_key',
    severity: i < 3 ? 'critical' : 'warning',
    object: `public.t${i}`,
    title: 'Table has no primary key',
    detail: `public.t${i} (about 1.2M rows) has no primary key.`,
    recommendation: `ALTER TABLE public.t${i} ADD PRIMARY KEY (id);`,
    evidence: { estimated_rows: 1_200_000 },
  }));
  const result = {
    task_type: 'table_analysis',
    analysis_target: 'tables',
    summary: { critical: 3, warning: 7, info: 0, not_assessable: 0 },
    findings,
    not_assessable: [],
    changes: {
      previous_execution_id: 1,
      new: findings.slice(0, 2).map(({ check, object, severity, title }) => ({ check, object, severity, title })),
      resolved: [],
      worsened: [],
    },
    server: { database: database.name },
    duration_ms: 120,
    state: {},
  };

  /** BATCH x BATCHES executions running, as a consumer holds them just before recording. */
  const runningExecutions = async (): Promise<number[]> => {
    const rows = await run(sql`
      insert into task_executions (scheduled_task_id, connection_id, task_type, trigger, status, attempts, started_at)
      select ${task.id}, ${connection.id}, 'table_analysis', 'schedule', 'running', 1, now() from generate_series(1, ${BATCH * BATCHES})
      returning id`);
    return rows.map((r) => Number(r.id));
  };
  const timeBatches = async (record: (batch: StoredOutcome[]) => Promise<unknown>): Promise<number> => {
    const ids = await runningExecutions();
    const times: number[] = [];
    for (let i = 0; i < BATCHES; i++) {
      const batch = ids
        .slice(i * BATCH, (i + 1) * BATCH)
        .map((id) => storedOutcome(id, 1, { status: 'completed' as const, result, errorMessage: null }));
      const started = performance.now();
      await record(batch);
      times.push(performance.now() - started);
    }
    return median(times);
  };

  await timeBatches((batch) => finishExecutions(db, batch)); // warm: plans, connections
  const baselineMs = await timeBatches((batch) => finishExecutions(db, batch));
  const noChannelMs = await timeBatches((batch) => recordOutcomes(db, batch, () => Date.now() + 10_000));
  for (let i = 1; i <= 3; i++) {
    await run(
      sql`insert into notification_channels (name, type, url_encrypted, events, min_severity) values (${`bench ${i}`}, 'slack', ${encryptSecret(receiverUrl)}, '{finding.new}', 'warning')`,
    );
  }
  const threeChannelsMs = await timeBatches((batch) => recordOutcomes(db, batch, () => Date.now() + 10_000));
  const [{ queued }] = await run(sql`select count(*)::int as queued from notification_deliveries`);

  // Sending: the deliveries the batches above queued, to a receiver that answers at once.
  await run(
    sql`delete from notification_deliveries where id not in (select id from notification_deliveries order by id limit ${DELIVERIES})`,
  );
  const [{ pending }] = await run(
    sql`select count(*)::int as pending from notification_deliveries where status = 'pending'`,
  );
  const sendStarted = performance.now();
  const report = await deliverNotifications({ budgetMs: 120_000 });
  const outboxMs = performance.now() - sendStarted;

  const body = JSON.stringify({ text: 'x', blocks: [] });
  const directStarted = performance.now();
  for (let i = 0; i < DELIVERIES; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, DELIVERIES - i) }, () => postJson(new URL(receiverUrl), body, {}, 10_000)),
    );
  }
  const directMs = performance.now() - directStarted;

  heading(`Recording outcomes, batches of ${BATCH} (median of ${BATCHES})`);
  printTable([
    ['', 'ms per batch', 'vs baseline'],
    ['plain UPDATE (before notifications)', baselineMs, 1],
    ['with outbox, no channel', noChannelMs, noChannelMs / baselineMs],
    ['with outbox, 3 channels', threeChannelsMs, threeChannelsMs / baselineMs],
  ]);
  console.log(`${queued} deliveries queued by ${BATCHES} batches for 3 channels`);
  heading(`Sending ${pending} deliveries to a local receiver`);
  printTable([
    ['', 'ms', 'per s', 'vs baseline'],
    ['direct POSTs, 8 at a time, no database (baseline)', directMs, (DELIVERIES / directMs) * 1000, 1],
    ['through the outbox', outboxMs, (report.delivered / outboxMs) * 1000, outboxMs / directMs],
  ]);
  if (report.delivered !== pending) throw new Error(`expected ${pending} delivered, got ${JSON.stringify(report)}`);
  recordResults('notifications', {
    measured_at: new Date().toISOString(),
    record_batch_baseline_ms: round(baselineMs),
    record_batch_no_channel_ms: round(noChannelMs),
    record_batch_three_channels_ms: round(threeChannelsMs),
    record_no_channel_vs_baseline: round(noChannelMs / baselineMs),
    record_three_channels_vs_baseline: round(threeChannelsMs / baselineMs),
    send_per_s: round((report.delivered / outboxMs) * 1000),
    send_direct_per_s: round((DELIVERIES / directMs) * 1000),
    send_vs_direct: round(outboxMs / directMs),
  });
} finally {
  await closeDb();
  await new Promise((done) => receiver.close(done));
  await database.drop();
}
