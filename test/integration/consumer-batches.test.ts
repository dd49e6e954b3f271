import { sql } from 'drizzle-orm';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { getDb } from '../../db/client.js';
import { claimExecutions, finishExecutions } from '../../db/queries/executions.js';
import { drainQueue } from '../../lib/consumer/drain-queue.js';
import { recordOutcomes } from '../../lib/consumer/record-outcomes.js';
import { storedOutcome } from '../../lib/consumer/stored-outcome.js';
import { pushExecutionIds, takeExecutionIds } from '../../lib/queue/execution-queue.js';
import { getRedis } from '../../lib/queue/redis.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { captureLogLines } from '../helpers/log-lines.js';
import { query } from '../helpers/service-db.js';
import { clearQueue, processingKey, queuedIds } from '../helpers/queue.js';

// Info lines are what an operator sees of each execution; they are kept (silently) and read here.
process.env.LOG_LEVEL = 'info';
let logLines: () => Record<string, unknown>[];

let connectionId: number;
let taskId: number;

beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
  taskId = (await createTaskVia(customSqlTask(connectionId))).id;
});

beforeEach(async () => {
  await clearQueue();
  logLines = captureLogLines();
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function queueExecutions(count: number, task = taskId): Promise<number[]> {
  const rows = await query<{ id: string }>(sql`
    insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, enqueued_at)
    select t.id, t.connection_id, t.task_type, t.task_params, 'queue', now()
      from scheduled_tasks t, generate_series(1, ${count}::int)
     where t.id = ${task}
    returning id`);
  return rows.map((r) => Number(r.id));
}

describe('the queue hands out ids in batches', () => {
  it(
    'takes up to the asked number, oldest first, onto the processing list, and acknowledges finished entries ' +
      'in the same request',
    async () => {
      await pushExecutionIds([101, 102, 103]);
      expect(await takeExecutionIds(2)).toEqual(['101', '102']);
      expect(await getRedis().lrange(processingKey(), 0, -1)).toEqual(['101', '102']);

      // Asking for more than is left returns what there is.
      expect(await takeExecutionIds(5, ['101'])).toEqual(['103']);
      expect(await getRedis().lrange(processingKey(), 0, -1)).toEqual(['102', '103']);
      expect(await queuedIds()).toEqual([]);

      expect(await takeExecutionIds(0, ['102', '103'])).toEqual([]);
      expect(await getRedis().llen(processingKey())).toBe(0);
    },
  );
});

describe('claims and outcomes of a batch', () => {
  it('claims only the queued ones of a batch, each with its connection and the previous findings and state', async () => {
    const [done, queued, alreadyRunning] = await queueExecutions(3);
    const previousResult = {
      findings: [{ check: 'x', object: null, severity: 'info' }],
      state: { position: 7 },
      data: { rows: [[1]] },
    };
    await query(
      sql`update task_executions set status = 'completed', result = ${JSON.stringify(previousResult)}::jsonb where id = ${done}`,
    );
    await query(sql`update task_executions set status = 'running', attempts = 1 where id = ${alreadyRunning}`);

    const { claimed } = await claimExecutions(getDb(), [queued, alreadyRunning, 987654321], 30);

    expect([...claimed.keys()]).toEqual([queued]);
    const { execution, connection, previous } = claimed.get(queued)!;
    expect(execution).toMatchObject({ id: queued, status: 'running', attempts: 1, scheduledTaskId: taskId });
    expect(connection?.id).toBe(connectionId);
    // Only what change tracking reads comes back, not the previous run's data rows.
    expect(previous).toEqual({ id: done, result: { findings: previousResult.findings, state: previousResult.state } });
  });

  it('records each outcome of a batch unless its attempt was given up meanwhile', async () => {
    const [current, givenUp] = await queueExecutions(2);
    await claimExecutions(getDb(), [current, givenUp], 30);
    // The tick recovered this attempt and queued it again: its late outcome must not land.
    await query(sql`update task_executions set status = 'queued' where id = ${givenUp}`);

    const { recorded } = await finishExecutions(getDb(), [
      storedOutcome(current, 1, {
        status: 'completed',
        result: { data: { rows: [['it\'s "quoted" \\ text']] } },
        errorMessage: null,
      }),
      storedOutcome(givenUp, 1, { status: 'failed', result: null, errorMessage: 'too late' }),
    ]);

    expect([...recorded]).toEqual([current]);
    const rows = await query<{ id: string; status: string; result: unknown; error_message: string | null }>(
      sql`select id, status, result, error_message from task_executions where id in (${current}, ${givenUp}) order by id`,
    );
    expect(rows).toEqual([
      {
        id: String(current),
        status: 'completed',
        result: { data: { rows: [['it\'s "quoted" \\ text']] } },
        error_message: null,
      },
      { id: String(givenUp), status: 'queued', result: null, error_message: null },
    ]);
  });

  it('records the rest of a batch when the database refuses one result, and fails that one with the reason', async () => {
    const [good, refused] = await queueExecutions(2);
    await claimExecutions(getDb(), [good, refused], 30);

    const { recorded } = await recordOutcomes(
      getDb(),
      [
        storedOutcome(good, 1, { status: 'completed', result: { findings: [] }, errorMessage: null }),
        // A log line with a NUL character in it: a valid JavaScript string that jsonb refuses.
        storedOutcome(refused, 1, {
          status: 'completed',
          result: { evidence: 'before\u0000after' },
          errorMessage: null,
        }),
      ],
      () => Date.now() + 5000,
    );

    expect([...recorded].sort((a, b) => a - b)).toEqual([good, refused]);
    const rows = await query<{ id: string; status: string; result: unknown; error_message: string | null }>(
      sql`select id, status, result, error_message from task_executions where id in (${good}, ${refused}) order by id`,
    );
    expect(rows[0]).toEqual({ id: String(good), status: 'completed', result: { findings: [] }, error_message: null });
    expect(rows[1]).toEqual({
      id: String(refused),
      status: 'failed',
      result: null,
      error_message: expect.stringMatching(/^The review finished but its result could not be stored: .*\\u0000/),
    });
  });
});

describe('a drain with many workers', () => {
  it('runs every queued execution exactly once and leaves nothing on the processing list', async () => {
    const ids = await queueExecutions(60);
    await pushExecutionIds(ids);

    const report = await drainQueue({ concurrency: 8 });

    expect(report).toEqual({
      completed: 60,
      failed: 0,
      notClaimed: 0,
      dropped: 0,
      stashed: 0,
      lost: 0,
      stoppedBy: null,
    });
    const rows = await query<{ status: string; attempts: number; n: number }>(sql`
      select status, attempts, count(*)::int as n from task_executions where id = any(${`{${ids.join(',')}}`}::bigint[]) group by 1, 2`);
    expect(rows).toEqual([{ status: 'completed', attempts: 1, n: 60 }]);
    expect(await queuedIds()).toEqual([]);
    expect(await getRedis().llen(processingKey())).toBe(0);
  });

  it('runs an id that is on the list twice once, even when both copies are taken in one batch', async () => {
    const [id] = await queueExecutions(1);
    await pushExecutionIds([id, id]);

    const report = await drainQueue({ concurrency: 4 });

    expect(report).toEqual({
      completed: 1,
      failed: 0,
      notClaimed: 1,
      dropped: 0,
      stashed: 0,
      lost: 0,
      stoppedBy: null,
    });
    expect(logLines().filter((l) => l.message === 'execution started' && l.executionId === id)).toHaveLength(1);
    expect(await getRedis().llen(processingKey())).toBe(0);
  });

  it('stopping early puts the ids it took but did not start back at the head of the queue, in order', async () => {
    const ids = await queueExecutions(12);
    await pushExecutionIds(ids);
    let asked = 0;

    // Told to stop after two executions, while ids taken with them are still waiting in its buffer.
    const report = await drainQueue({ concurrency: 2, shouldStop: () => asked++ >= 2 });

    expect(report.completed).toBe(2);
    const statuses = await query<{ id: string; status: string }>(sql`
      select id, status from task_executions where id = any(${`{${ids.join(',')}}`}::bigint[]) order by id`);
    const notRun = statuses.filter((r) => r.status === 'queued').map((r) => r.id);
    expect(notRun).toEqual(ids.slice(2).map(String));
    expect(await queuedIds()).toEqual(notRun);
    expect(await getRedis().llen(processingKey())).toBe(0);

    // The next drain runs them, each once.
    expect(await drainQueue({ concurrency: 2 })).toMatchObject({ completed: 10, notClaimed: 0 });
  });

  it('does not start a review whose query_timeout and outcome do not fit in the time left, and hands it back to the queue for the next consumer', async () => {
    const [short, long] = await queueExecutions(2);
    await query(
      sql`update task_executions set task_params = task_params || '{"query_timeout": 30}'::jsonb where id = ${short}`,
    );
    await query(
      sql`update task_executions set task_params = task_params || '{"query_timeout": 300}'::jsonb where id = ${long}`,
    );
    await pushExecutionIds([long, short]);

    // Two minutes left of the invocation: enough for 30 s of queries, not for 300.
    const report = await drainQueue({ concurrency: 1, remainingMs: () => 120_000 });

    expect(report).toMatchObject({ completed: 1, failed: 0, notClaimed: 0, lost: 0, stoppedBy: null });
    const statuses = await query<{ id: string; status: string; attempts: number }>(sql`
      select id, status, attempts from task_executions where id in (${short}, ${long}) order by id`);
    expect(statuses).toEqual([
      { id: String(short), status: 'completed', attempts: 1 },
      { id: String(long), status: 'queued', attempts: 0 },
    ]);
    expect(await queuedIds()).toEqual([String(long)]);
    expect(await getRedis().llen(processingKey())).toBe(0);
    expect(logLines().filter((l) => l.message === 'execution started' && l.executionId === long)).toHaveLength(0);

    // A consumer with its whole time ahead runs it.
    expect(await drainQueue({ concurrency: 1, remainingMs: () => 900_000 })).toMatchObject({
      completed: 1,
      notClaimed: 0,
    });
    expect(await query(sql`select status, attempts from task_executions where id = ${long}`)).toEqual([
      { status: 'completed', attempts: 1 },
    ]);
    expect(await queuedIds()).toEqual([]);
  });
});
