import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as connectionFindings } from '../../functions/connections/findings.js';
import { apiEvent, call } from '../helpers/api.js';
import { createTargetConnection, createTaskVia } from '../helpers/factories.js';
import { reviewNow } from '../helpers/review-now.js';
import { createTargetDatabase, type TargetDatabase } from '../helpers/target-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';

// Four table reviews of one database: clean, a table without a primary key appears, it is still
// there, it is fixed. The finding history must date it from the second run throughout.

withoutConsumerStarts();

let db: TargetDatabase;
let connectionId: number;
let taskId: number;
const runs: Array<{ id: number; completed_at: string }> = [];
const MISSING_PK = { check: 'tables.missing_primary_key', object: 'public.orders_no_pk' };

const findings = (state?: string, id = connectionId) =>
  call(
    connectionFindings,
    apiEvent('GET', `/api/v1/connections/${id}/findings`, {
      path: { connection_id: String(id) },
      query: state ? { state } : undefined,
    }),
  );
const entryFor = (body: { findings: Array<{ check: string; object: string | null }> }): any =>
  body.findings.find((f) => f.check === MISSING_PK.check && f.object === MISSING_PK.object);

beforeAll(async () => {
  db = await createTargetDatabase('history');
  await db.admin`create table customers (id int primary key)`;
  // Here from the first run to the last.
  await db.admin`create table legacy_no_pk (id int)`;
  connectionId = (await createTargetConnection(db.name, { name: `history-${db.name}` })).id;
  taskId = (
    await createTaskVia({
      name: 'Tables nightly',
      task_type: 'table_analysis',
      connection_id: connectionId,
      cron_schedule: '0 3 * * *',
      task_params: { analysis_target: 'tables' },
    })
  ).id;
  runs.push(await reviewNow(taskId));
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

describe('GET /api/v1/connections/{id}/findings', () => {
  it('dates a problem from the run it appeared in, while it persists, and lists it as resolved once fixed', async () => {
    expect(entryFor((await findings()).body)).toBeUndefined();

    await db.admin`create table orders_no_pk (id int, note text)`;
    runs.push(await reviewNow(taskId));
    let open = await findings();
    expect(open.status).toBe(200);
    expect(open.body).toMatchObject({ connection_id: connectionId, state: 'open' });
    expect(entryFor(open.body)).toMatchObject({
      task_id: taskId,
      task_name: 'Tables nightly',
      task_type: 'table_analysis',
      severity: 'warning',
      first_seen_execution_id: runs[1].id,
      first_seen: runs[1].completed_at,
      last_seen_execution_id: runs[1].id,
      runs: 1,
      resolved_execution_id: null,
    });

    runs.push(await reviewNow(taskId));
    open = await findings('open');
    const persisting = entryFor(open.body)!;
    expect(persisting).toMatchObject({
      first_seen_execution_id: runs[1].id,
      first_seen: runs[1].completed_at,
      last_seen_execution_id: runs[2].id,
      last_seen: runs[2].completed_at,
      runs: 2,
    });
    expect(persisting.recommendation).toContain('orders_no_pk');
    // A finding present since the first run of the task dates from that run.
    const legacy = open.body.findings.find((f: { object: string | null }) => f.object === 'public.legacy_no_pk');
    expect(legacy).toMatchObject({
      check: MISSING_PK.check,
      first_seen_execution_id: runs[0].id,
      first_seen: runs[0].completed_at,
      runs: 3,
    });

    await db.admin`alter table orders_no_pk add primary key (id)`;
    runs.push(await reviewNow(taskId));
    expect(entryFor((await findings('open')).body)).toBeUndefined();
    const resolved = await findings('resolved');
    expect(resolved.body.state).toBe('resolved');
    expect(entryFor(resolved.body)).toMatchObject({
      first_seen_execution_id: runs[1].id,
      last_seen_execution_id: runs[2].id,
      last_seen: runs[2].completed_at,
      runs: 2,
      resolved_execution_id: runs[3].id,
      resolved_at: runs[3].completed_at,
    });
  });

  it('answers 404 for an unknown connection and 400 for an unknown state', async () => {
    expect((await findings(undefined, 999_999)).status).toBe(404);
    const bad = await findings('fixed');
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('state must be open or resolved');
  });
});
