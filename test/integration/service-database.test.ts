import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { type Db, getDb, getDrainDb, openServiceDatabase } from '../../db/client.js';
import { claimExecutions } from '../../db/queries/executions.js';
import { scheduledTasks } from '../../db/schema/index.js';

const preparedStatements = async (db: Db) =>
  (
    await db.execute<{ statement: string }>(sql`select statement from pg_prepared_statements order by prepare_time`)
  ).map((row) => row.statement);

const withoutPrepare = openServiceDatabase(`${process.env.DATABASE_URL}?prepare=false`);
afterAll(() => withoutPrepare.client.end());

describe('the service database client', () => {
  it('prepares statements that have parameters, in transactions too, and plans each call for its values', async () => {
    const db = getDb();
    // One query at a time: the pool hands back the same connection, whose prepared statements the view lists.
    await db.execute(sql`select ${1}::int as outside_a_transaction`);
    expect(await preparedStatements(db)).toContain('select $1::int as outside_a_transaction');

    const [inside, mode] = await db.transaction(async (tx) => {
      await tx.select({ id: scheduledTasks.id }).from(scheduledTasks).where(eq(scheduledTasks.id, 1));
      const statements = await preparedStatements(tx as unknown as Db);
      const [{ plan_cache_mode }] = await tx.execute<{ plan_cache_mode: string }>(
        sql`select current_setting('plan_cache_mode') as plan_cache_mode`,
      );
      return [statements, plan_cache_mode];
    });
    expect(inside).toContain('select "id" from "scheduled_tasks" where "scheduled_tasks"."id" = $1');
    expect(mode).toBe('force_custom_plan');
  });

  it("plans the drain's claims once per connection, and the API's statements for each call's values", async () => {
    const plansOfClaims = async (db: Db) => {
      // One query at a time: the pool hands back the same connection, whose prepared statements the view lists.
      await claimExecutions(db, [-1], 60);
      await claimExecutions(db, [-2], 60);
      const [plans] = await db.execute<{ generic: number; custom: number }>(sql`
        select generic_plans::int as generic, custom_plans::int as custom
          from pg_prepared_statements where statement like '%with candidates as%'`);
      return plans;
    };
    expect(await plansOfClaims(getDrainDb())).toEqual({ generic: 2, custom: 0 });
    expect(await plansOfClaims(getDb())).toEqual({ generic: 0, custom: 2 });
  });

  it('prepares nothing with ?prepare=false in DATABASE_URL, for transaction-mode poolers', async () => {
    const [listed, mode] = await withoutPrepare.db.transaction(async (tx) => {
      await tx.execute(sql`select ${1}::int as not_prepared`);
      const statements = await preparedStatements(tx as unknown as Db);
      const [{ plan_cache_mode }] = await tx.execute<{ plan_cache_mode: string }>(
        sql`select current_setting('plan_cache_mode') as plan_cache_mode`,
      );
      return [statements, plan_cache_mode];
    });
    expect(listed).toEqual([]);
    expect(mode).toBe('auto');
    const [{ value }] = await withoutPrepare.db.execute<{ value: number }>(sql`select ${41}::int + 1 as value`);
    expect(value).toBe(42);
  });
});
