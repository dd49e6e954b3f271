import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import { findingsOf } from '../../helpers/findings.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../helpers/embedded-postgres.js';

// EXPLAIN (GENERIC_PLAN) exists from PostgreSQL 16 on; the machine's PostgreSQL is 15, so this path
// runs on a PostgreSQL 17 server from npm (port 5470 is reserved for this file). It has no HypoPG:
// the advice there is an estimate.
const PORT = 5470;

describe('index advice on PostgreSQL 17: generic plans with EXPLAIN (GENERIC_PLAN)', () => {
  let server: EmbeddedServer;

  beforeAll(async () => {
    server = await startEmbeddedPostgres(17, PORT);
    const admin = server.admin();
    await admin`create extension pg_stat_statements`;
    await admin`create table orders (id bigint primary key, customer_id int, status text, created_at timestamptz)`;
    await admin`
      insert into orders
      select g, g % 20000, (array['new', 'paid', 'shipped'])[1 + g % 3], timestamptz '2026-01-01' + g * interval '1 minute'
        from generate_series(1, 100000) g`;
    await admin`analyze orders`;
    for (let i = 0; i < 30; i++) {
      await admin`select * from orders where customer_id = ${i} order by created_at desc limit 10`;
      // `$1` with no type to infer: PREPARE refuses it, EXPLAIN (GENERIC_PLAN) plans it as unknown.
      await admin.unsafe(`select id, ${i} from orders where customer_id = ${i}`);
    }
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('plans the normalized statements without PREPARE and proposes the index, as an estimate', async () => {
    const result = await runAnalysis({
      taskType: 'query_analysis',
      params: { query_timeout: 60, analysis_target: 'queries' },
      target: {
        host: '127.0.0.1',
        port: PORT,
        database: 'postgres',
        username: 'postgres',
        password: null,
        sslmode: 'disable',
        statementTimeoutSeconds: 30,
      },
      previous: null,
    });
    expect(result.server.version_num).toBeGreaterThanOrEqual(170000);
    const advice = findingsOf(result, 'queries.index_advice');
    expect(advice.map((f) => f.object)).toEqual(['public.orders(customer_id, created_at)']);
    expect(advice[0].evidence).toMatchObject({ method: 'estimate' });
    expect((advice[0].evidence.queryids as string[]).length).toBe(2);
    expect(findingsOf(result, 'queries.index_advice_coverage')).toEqual([]);
  });
});
