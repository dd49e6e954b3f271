import { presentQuery } from '../query-text.js';

/** What a finding shows about another session: enough to find it, never a full query or a secret. */
export interface SessionSummary {
  pid: number;
  user: string | null;
  application: string | null;
  client: string | null;
  query: string | null;
}

export function summarizeSession(row: Record<string, unknown>): SessionSummary {
  return {
    pid: Number(row.pid),
    user: (row.usename as string | null) ?? null,
    application: (row.application_name as string | null) || null,
    client: (row.client_addr as string | null) ?? null,
    query: presentQuery(row.query as string | null),
  };
}

/**
 * Sessions are reported one finding per database, so a finding keeps its identity across runs while pids come and go.
 */
export function groupByDatabase<T extends Record<string, unknown>>(rows: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const database = (row.datname as string | null) ?? '(no database)';
    groups.set(database, [...(groups.get(database) ?? []), row]);
  }
  return groups;
}
