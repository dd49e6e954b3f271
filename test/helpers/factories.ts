import { handler as createConnectionHandler } from '../../functions/connections/create.js';
import { handler as createTaskHandler } from '../../functions/tasks/create.js';
import { apiEvent, call } from './api.js';
import { targetPort } from './target-db.js';

/** A connection to the test's own service database on the local PostgreSQL: a real, reachable target. */
export async function createLocalConnection(overrides: Record<string, unknown> = {}) {
  const url = new URL(process.env.DATABASE_URL!);
  const response = await call(
    createConnectionHandler,
    apiEvent('POST', '/api/v1/connections', {
      body: {
        name: `local-${Math.random().toString(36).slice(2, 8)}`,
        host: url.hostname,
        port: Number(url.port || 5432),
        database: url.pathname.slice(1),
        username: decodeURIComponent(url.username || 'postgres'),
        sslmode: 'disable',
        ...overrides,
      },
    }),
  );
  if (response.status !== 201) throw new Error(`connection factory failed: ${JSON.stringify(response.body)}`);
  return response.body as { id: number; name: string };
}

/** A connection to a database of the dedicated target cluster (target-db.ts), as its superuser unless told. */
export function createTargetConnection(database: string, overrides: Record<string, unknown> = {}) {
  return createLocalConnection({ host: '127.0.0.1', port: targetPort, database, username: 'postgres', ...overrides });
}

export async function createTaskVia(body: Record<string, unknown>) {
  const response = await call(createTaskHandler, apiEvent('POST', '/api/v1/scheduler/tasks', { body }));
  if (response.status !== 201) throw new Error(`task factory failed: ${JSON.stringify(response.body)}`);
  return response.body as { id: number; next_run_at: string | null; task_params: Record<string, unknown> };
}

export const customSqlTask = (connectionId: number, overrides: Record<string, unknown> = {}) => ({
  name: 'Daily Security Check',
  task_type: 'custom_sql',
  connection_id: connectionId,
  cron_schedule: '0 2 * * *',
  task_params: { custom_sql: 'select 1 as one', analysis_target: 'security' },
  ...overrides,
});
