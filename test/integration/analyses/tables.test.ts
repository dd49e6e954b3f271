import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { Finding, PreviousRun, ReviewResult, TaskParams } from '../../../lib/analyses/types.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../../helpers/target-db.js';
import { asPrevious, findingsOf } from '../../helpers/findings.js';

// Everything is planted in this file's own database; roles are cluster-wide, so they get random
// names and are dropped afterwards. Reviews run as the superuser unless a test says otherwise.

const review = (
  db: TargetDatabase,
  params: Partial<TaskParams> = {},
  previous: PreviousRun | null = null,
  login?: { username: string; password: string },
) =>
  runAnalysis({
    taskType: 'table_analysis',
    params: { query_timeout: 60, analysis_target: 'tables', ...params },
    target: db.options(login),
    previous,
  });

const findingOf = (result: ReviewResult, check: string, object: string): Finding | undefined =>
  result.findings.find((f) => f.check === check && f.object === object);

async function plantProblems(db: TargetDatabase): Promise<void> {
  // One reserved connection, so the statistics this session accumulates can be flushed on demand.
  const session = await db.admin.reserve();
  try {
    await session.unsafe(`
      create table events_no_pk (id int not null, payload text);
      insert into events_no_pk select g, 'e' from generate_series(1, 500) g;

      create table tags (name text not null);
      create unique index tags_name on tags (name);

      create table customers (id int primary key, email text, region text);
      insert into customers select g, 'c' || g || '@example.com', 'r' || (g % 5) from generate_series(1, 100) g;
      create index customers_email on customers (email);
      create index customers_email_dup on customers (email);
      create index customers_region on customers (region);
      create index customers_region_email on customers (region, email);

      create function audit_customer() returns trigger language plpgsql as $$ begin return new; end $$;
      create trigger customers_audit after insert on customers for each row execute function audit_customer();
      alter table customers disable trigger customers_audit;

      create table orders (id int primary key, customer_id int references customers (id));
      insert into orders select g, 1 + g % 100 from generate_series(1, 12000) g;
      alter table orders add constraint orders_customer_positive check (customer_id > 0) not valid;
      create table order_notes (id int primary key, order_id int references orders (id));
      analyze orders;

      -- The storage parameter lowers the server's freeze age for this table alone (100,000 is its minimum).
      create table freeze_soon (id int) with (autovacuum_freeze_max_age = 100000);

      create table signups (email text);
      insert into signups values ('a@example.com'), ('a@example.com');

      create table sessions (id int primary key, v int) with (autovacuum_enabled = false);
      insert into sessions select g, g from generate_series(1, 2000) g;
      delete from sessions where id <= 1500;

      create table tickets (id serial primary key);
      select setval('tickets_id_seq', 2147483647 - 100000000);
      create sequence legacy_seq;
      create table legacy (id int not null default nextval('legacy_seq'));
      select setval('legacy_seq', 1700000000);

      create schema sales;
      create table sales.orders_archive (id int, note text);
    `);
    // A unique index built concurrently over duplicate values fails and stays behind, invalid.
    // CREATE INDEX CONCURRENTLY cannot run inside a transaction block: a single plain statement.
    await session.unsafe('create unique index concurrently signups_email on signups (email)').catch(() => undefined);
    await session`select pg_stat_force_next_flush()`;
  } finally {
    session.release();
  }
  // The flush happens when that session next goes idle; wait until the counters are visible.
  for (let attempt = 0; attempt < 100; attempt++) {
    const [row] = await db.admin`select n_dead_tup from pg_stat_user_tables where relname = 'sessions'`;
    if (Number(row?.n_dead_tup) >= 1500) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('dead tuple counters of public.sessions never became visible');
}

describe('table_analysis on a database with planted problems', () => {
  let db: TargetDatabase;
  let first: ReviewResult;
  const roles: string[] = [];

  beforeAll(async () => {
    db = await createTargetDatabase('tables');
    await plantProblems(db);
    first = await review(db);
  });

  afterAll(async () => {
    await db?.drop();
    const root = targetAdmin();
    for (const role of roles) await root.unsafe(`drop role if exists "${role}"`);
    await root.end();
  });

  it('reports a table with neither a primary key nor a unique NOT NULL key as a warning', () => {
    const finding = findingOf(first, 'tables.missing_primary_key', 'public.events_no_pk');
    expect(finding?.severity).toBe('warning');
    expect(finding?.recommendation).toContain('ALTER TABLE public.events_no_pk ADD PRIMARY KEY');
  });

  it('reports a table keyed only by a unique index on NOT NULL columns as informational', () => {
    const finding = findingOf(first, 'tables.missing_primary_key', 'public.tags');
    expect(finding?.severity).toBe('info');
    expect(finding?.recommendation).toBe('ALTER TABLE public.tags ADD PRIMARY KEY USING INDEX tags_name;');
  });

  it('reports the second of two identical indexes as a duplicate, and a prefix index as covered', () => {
    const duplicate = findingOf(first, 'tables.duplicate_index', 'public.customers_email_dup');
    expect(duplicate?.severity).toBe('warning');
    expect(duplicate?.evidence.covering_index).toBe('public.customers_email');
    expect(duplicate?.recommendation).toBe('DROP INDEX CONCURRENTLY public.customers_email_dup;');
    expect(findingOf(first, 'tables.duplicate_index', 'public.customers_email')).toBeUndefined();

    const covered = findingOf(first, 'tables.duplicate_index', 'public.customers_region');
    expect(covered?.severity).toBe('warning');
    expect(covered?.evidence.covering_index).toBe('public.customers_region_email');
  });

  it('never proposes dropping a primary key index as a duplicate', () => {
    expect(findingOf(first, 'tables.duplicate_index', 'public.customers_pkey')).toBeUndefined();
  });

  it('reports the invalid index left by a failed CREATE UNIQUE INDEX CONCURRENTLY', () => {
    const finding = findingOf(first, 'tables.invalid_index', 'public.signups_email');
    expect(finding?.severity).toBe('warning');
    expect(finding?.evidence.unique).toBe(true);
    expect(finding?.recommendation).toContain('DROP INDEX CONCURRENTLY public.signups_email;');
  });

  it('reports a foreign key without an index as a warning on a large table and informational on a small one', () => {
    const large = findingOf(first, 'tables.unindexed_foreign_key', 'public.orders.orders_customer_id_fkey');
    expect(large?.severity).toBe('warning');
    expect(large?.evidence.referencing_rows).toBe(12000);
    expect(large?.recommendation).toBe('CREATE INDEX CONCURRENTLY ON public.orders (customer_id);');

    expect(
      findingOf(first, 'tables.unindexed_foreign_key', 'public.order_notes.order_notes_order_id_fkey')?.severity,
    ).toBe('info');
  });

  it('reports dead rows above the threshold of a table whose autovacuum is disabled as a warning', () => {
    const finding = findingOf(first, 'tables.dead_tuples', 'public.sessions');
    expect(finding?.severity).toBe('warning');
    expect(finding?.title).toBe('Autovacuum disabled on table');
    expect(finding?.evidence.dead_rows).toBeGreaterThanOrEqual(1500);
    expect(finding?.evidence.autovacuum_enabled_on_table).toBe(false);
    expect(Number(finding?.evidence.dead_rows)).toBeGreaterThan(Number(finding?.evidence.autovacuum_threshold));
    expect(first.state['tables.dead_tuples']).toEqual({ over_threshold: expect.arrayContaining(['public.sessions']) });
  });

  it('reports an int4 serial sequence past 90% of 2^31 as critical', () => {
    const finding = findingOf(first, 'tables.sequence_exhaustion', 'public.tickets_id_seq');
    expect(finding?.severity).toBe('critical');
    expect(finding?.evidence.column).toBe('public.tickets.id');
    expect(finding?.evidence.usable_limit).toBe('2147483647');
    expect(finding?.recommendation).toContain('ALTER TABLE public.tickets ALTER COLUMN id TYPE bigint;');
  });

  it('measures a bigint sequence against the int4 column it feeds, not against its own maximum', () => {
    const finding = findingOf(first, 'tables.sequence_exhaustion', 'public.legacy_seq');
    expect(finding?.severity).toBe('warning');
    expect(finding?.evidence.sequence_type).toBe('bigint');
    expect(finding?.evidence.usable_limit).toBe('2147483647');
    expect(finding?.detail).toContain('set by the column type');
  });

  it('reports a NOT VALID check constraint and a disabled trigger as warnings', () => {
    const constraint = findingOf(first, 'tables.not_valid_constraint', 'public.orders.orders_customer_positive');
    expect(constraint?.severity).toBe('warning');
    expect(constraint?.recommendation).toContain(
      'ALTER TABLE public.orders VALIDATE CONSTRAINT orders_customer_positive;',
    );

    const trigger = findingOf(first, 'tables.disabled_trigger', 'public.customers.customers_audit');
    expect(trigger?.severity).toBe('warning');
    expect(trigger?.recommendation).toContain('ALTER TABLE public.customers ENABLE TRIGGER customers_audit;');
  });

  it("grades a table's transaction ID age against its own autovacuum_freeze_max_age", () => {
    const finding = findingOf(first, 'tables.xid_wraparound', 'public.freeze_soon');
    expect(finding).toMatchObject({ severity: 'info', title: 'Anti-wraparound vacuum due' });
    expect(finding!.evidence).toMatchObject({ autovacuum_freeze_max_age: 100000 });
    expect(finding!.detail).toMatch(/autovacuum_freeze_max_age 100,000\).*An anti-wraparound autovacuum is due/);
    expect(findingOf(first, 'tables.xid_wraparound', 'public.orders')).toBeUndefined();
  });

  it('lists the largest tables as information only, biggest first', () => {
    const largest = findingsOf(first, 'tables.largest_relations');
    expect(largest[0].object).toBe('public.orders');
    expect(largest.every((f) => f.severity === 'info')).toBe(true);
    expect(largest.length).toBeLessThanOrEqual(10);
  });

  it('is fully assessable for a superuser and completes well within the timeout', () => {
    expect(first.not_assessable).toEqual([]);
    expect(first.summary.critical).toBeGreaterThanOrEqual(1);
    expect(first.duration_ms).toBeLessThan(10_000);
  });

  it('narrows every per-table check to target_tables, bare or schema-qualified', async () => {
    const bare = await review(db, { target_tables: ['orders'] });
    const objects = new Set(bare.findings.map((f) => f.object));
    expect(objects.has('public.orders.orders_customer_id_fkey')).toBe(true);
    expect(objects.has('public.events_no_pk')).toBe(false);
    expect(objects.has('public.customers_email_dup')).toBe(false);
    expect(objects.has('public.tickets_id_seq')).toBe(false);

    const qualified = await review(db, { target_tables: ['sales.orders_archive'] });
    expect(findingsOf(qualified, 'tables.missing_primary_key').map((f) => f.object)).toEqual(['sales.orders_archive']);
    expect(qualified.findings.some((f) => f.object === 'public.orders.orders_customer_id_fkey')).toBe(false);
  });

  it('reports sequences as not assessable, not as a failure, for a role with only pg_monitor', async () => {
    const username = `tables_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    roles.push(username);
    await db.admin.unsafe(`create role "${username}" login password '${password}' in role pg_monitor`);

    const result = await review(db, {}, null, { username, password });
    const sequences = result.not_assessable.find((n) => n.check === 'tables.sequence_exhaustion');
    expect(sequences?.enable).toBe(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${username};`);
    expect(sequences?.reason).toContain('cannot be read');
    // Catalog-based checks still run for the monitoring role.
    expect(findingOf(result, 'tables.missing_primary_key', 'public.events_no_pk')?.severity).toBe('warning');
    expect(findingOf(result, 'tables.invalid_index', 'public.signups_email')).toBeDefined();
  });

  it('lists the missing primary key under changes.resolved once the key is added', async () => {
    await db.admin`alter table events_no_pk add primary key (id)`;
    const second = await review(db, {}, asPrevious(first));
    expect(findingOf(second, 'tables.missing_primary_key', 'public.events_no_pk')).toBeUndefined();
    expect(second.changes.previous_execution_id).toBe(1);
    expect(second.changes.resolved).toContainEqual(
      expect.objectContaining({
        check: 'tables.missing_primary_key',
        object: 'public.events_no_pk',
        severity: 'warning',
      }),
    );
    expect(second.changes.new.filter((f) => f.check === 'tables.missing_primary_key')).toEqual([]);
  });
});
