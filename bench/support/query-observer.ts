import type postgres from 'postgres';

export interface CapturedStatement {
  text: string;
  parameters: unknown[];
}

export interface QueryObserver {
  /** Statements sent to PostgreSQL so far (begin and commit included): each is one round trip. */
  count(): number;
  /** Runs `work` and returns the statements it sent, in order. */
  capture<T>(work: () => Promise<T>): Promise<{ result: T; statements: CapturedStatement[] }>;
}

/**
 * Counts and records what postgres.js clients send, through their `debug` hook. The hook is read
 * from a client's shared options on every query, so it can be attached to a client that already
 * exists (the service's own lazy singletons) without changing how that client is built.
 */
export function observeQueries(...clients: postgres.Sql[]): QueryObserver {
  let count = 0;
  let recording: CapturedStatement[] | undefined;
  for (const client of clients)
    (client.options as { debug?: unknown }).debug = (_connection: number, text: string, parameters: unknown[]) => {
      count++;
      recording?.push({ text, parameters: [...parameters] });
    };
  return {
    count: () => count,
    async capture(work) {
      const statements: CapturedStatement[] = [];
      recording = statements;
      try {
        return { result: await work(), statements };
      } finally {
        recording = undefined;
      }
    },
  };
}

/** The plan PostgreSQL chooses for a captured statement (EXPLAIN without ANALYZE: nothing is executed). */
export async function explain(client: postgres.Sql, statement: CapturedStatement): Promise<string[]> {
  const rows = await client.unsafe(
    `explain (costs off) ${statement.text}`,
    statement.parameters as postgres.ParameterOrJSON<never>[],
  );
  return rows.map((r) => String(r['QUERY PLAN']));
}

/** Plans with the timings and row counts of a real run; for read-only statements only. */
export async function explainAnalyze(client: postgres.Sql, statement: CapturedStatement): Promise<string[]> {
  const rows = await client.unsafe(
    `explain (analyze, costs off, buffers, timing off, summary on) ${statement.text}`,
    statement.parameters as postgres.ParameterOrJSON<never>[],
  );
  return rows.map((r) => String(r['QUERY PLAN']));
}

/** The postgres.js client under one of the service's drizzle singletons (drizzle keeps it as `$client`). */
export function serviceClient(db: object): postgres.Sql {
  return (db as { $client: postgres.Sql }).$client;
}
