import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForPort } from '../helpers/private-redis.js';

// The whole system as a user runs it: serverless-offline on :8000 (API, Lambda port, the tick and
// the consumer on their one-minute schedules), this file's own service database and queue.
const BASE = 'http://localhost:8000';
let offline: ChildProcess;
let output = '';

beforeAll(async () => {
  offline = spawn('npx', ['serverless', 'offline', 'start', '--stage', 'dev'], {
    env: {
      ...process.env,
      LAMBDA_ENDPOINT: 'http://127.0.0.1:3002',
      LOG_LEVEL: 'info',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  offline.stdout!.on('data', (d) => (output += d));
  offline.stderr!.on('data', (d) => (output += d));
  try {
    await waitForPort(8000, 150_000);
    await waitForPort(3002, 30_000);
  } catch (error) {
    throw new Error(`serverless-offline did not start on :8000 (is another copy running?):\n${output.slice(-2000)}`, {
      cause: error,
    });
  }
}, 180_000);

afterAll(async () => {
  if (offline?.pid) {
    process.kill(-offline.pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    try {
      process.kill(-offline.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Runs a command line exactly as a user would type it and returns what curl printed. */
const shell = (command: string) => execFileSync('bash', ['-c', command], { encoding: 'utf8' });
const getJson = async (path: string) => (await fetch(`${BASE}${path}`)).json();

async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (!Array.isArray(value) && (value as { detail?: string })?.detail)
      throw new Error(`${what}: ${JSON.stringify(value)}\n${output.slice(-3000)}`);
    if (Date.now() > deadline)
      throw new Error(`${what}: gave up after ${timeoutMs} ms; last: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('the spec curl examples against serverless-offline on port 8000', () => {
  it('creates the connection the examples refer to', async () => {
    const target = new URL(process.env.DATABASE_URL!);
    const created = JSON.parse(
      shell(
        `curl -s -X POST "${BASE}/api/v1/connections" -H "Content-Type: application/json" -d ` +
          `'{"name":"local","host":"127.0.0.1","port":${target.port || 5432},"database":"${target.pathname.slice(1)}","username":"postgres","sslmode":"disable"}'`,
      ),
    );
    expect(created).toMatchObject({ id: 1, name: 'local', has_password: false });
  });

  it('Create a Custom SQL Task', () => {
    const body = JSON.parse(
      shell(`curl -s -X POST "http://localhost:8000/api/v1/scheduler/tasks" \\
  -H "Content-Type: application/json" \\
  -d '{
    "name": "Daily Security Check",
    "task_type": "custom_sql",
    "connection_id": 1,
    "cron_schedule": "0 2 * * *",
    "task_params": {
      "custom_sql": "SELECT usename, count(*) FROM pg_stat_activity WHERE state = '\\''active'\\'' GROUP BY usename;",
      "analysis_target": "security"
    }
  }'`),
    );
    expect(body).toMatchObject({
      id: 1,
      name: 'Daily Security Check',
      task_type: 'custom_sql',
      connection_id: 1,
      cron_schedule: '0 2 * * *',
      is_active: true,
    });
    expect(body.task_params.custom_sql).toBe(
      "SELECT usename, count(*) FROM pg_stat_activity WHERE state = 'active' GROUP BY usename;",
    );
  });

  it('Get All Active Tasks', () => {
    const body = JSON.parse(shell(`curl "http://localhost:8000/api/v1/scheduler/tasks?is_active=true"`));
    expect(body.map((t: { id: number }) => t.id)).toEqual([1]);
  });

  it('Run Task Immediately: the execution completes without waiting for a tick', async () => {
    const started = Date.now();
    const body = JSON.parse(shell(`curl -X POST "http://localhost:8000/api/v1/scheduler/tasks/1/run"`));
    expect(body).toEqual({ message: 'Задача запущена', execution_id: 1 });
    const execution = await until(
      'execution 1',
      () => getJson('/api/v1/scheduler/executions/1'),
      (e) => e.status === 'completed' || e.status === 'failed',
      30_000,
    );
    expect(execution).toMatchObject({ status: 'completed', trigger: 'manual', error_message: null });
    expect(execution.result.data.columns.map((c: { name: string }) => c.name)).toEqual(['usename', 'count']);
    // The tick fires on whole minutes; finishing well inside one shows the run did not wait for it.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('answers the legacy path with a 308 to /api/v1, query kept', () => {
    const headers = shell(`curl -s -o /dev/null -D - "http://localhost:8000/api/scheduler/tasks?is_active=true"`);
    expect(headers).toMatch(/^HTTP\/1\.1 308/);
    expect(headers).toMatch(/location: \/api\/v1\/scheduler\/tasks\?is_active=true/i);
  });

  it('reports the queue and statistics', async () => {
    expect(await getJson('/api/v1/scheduler/queue/status')).toEqual({
      queue_length: expect.any(Number),
      timestamp: expect.any(String),
    });
    const stats = await getJson('/api/v1/scheduler/stats');
    expect(stats.tasks.total_tasks).toBe(1);
    expect(stats.executions_24h.completed).toBeGreaterThanOrEqual(1);
  });

  it('fires a task on its cron schedule through the tick and the consumer', async () => {
    const created = JSON.parse(
      shell(
        `curl -s -X POST "${BASE}/api/v1/scheduler/tasks" -H "Content-Type: application/json" -d ` +
          `'{"name":"every minute","task_type":"config_check","connection_id":1,"cron_schedule":"* * * * ` +
          `*","task_params":{"query_timeout":60}}'`,
      ),
    );
    const executions = await until(
      'a scheduled execution',
      () => getJson(`/api/v1/scheduler/executions?task_id=${created.id}`),
      (list) =>
        Array.isArray(list) && list.some((e: { status: string }) => e.status === 'completed' || e.status === 'failed'),
      150_000,
    );
    const done = executions.find((e: { status: string }) => e.status === 'completed' || e.status === 'failed');
    expect(done).toMatchObject({ trigger: 'schedule', status: 'completed', task_type: 'config_check' });
    expect(done.result.summary).toEqual(
      expect.objectContaining({ critical: expect.any(Number), warning: expect.any(Number) }),
    );
  }, 180_000);
});
