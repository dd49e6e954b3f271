import { describe, expect, it } from 'vitest';
import { createIndexStatement, worthTaking } from '../../../lib/analyses/queries/index-advice/advice-finding.js';
import { buildCandidates, type WorkloadStatement } from '../../../lib/analyses/queries/index-advice/candidates.js';
import type { Verdict } from '../../../lib/analyses/queries/index-advice/planner-proof.js';
import {
  readStatementShape,
  rewriteTypedLiterals,
} from '../../../lib/analyses/queries/index-advice/statement-shape.js';
import {
  quoteName,
  type ColumnFacts,
  type TableFacts,
} from '../../../lib/analyses/queries/index-advice/table-facts.js';

function table(name: string, rows: number, columns: Record<string, number>, indexes: string[][] = []): TableFacts {
  const facts = new Map<string, ColumnFacts>(
    Object.entries(columns).map(([c, distinct]) => [c, { name: c, nullFrac: 0, nDistinct: distinct, avgWidth: 4 }]),
  );
  return {
    oid: name.length,
    schema: 'public',
    name,
    qualified: `public.${quoteName(name)}`,
    rows,
    pages: rows / 100,
    readable: true,
    writes: 0,
    columns: facts,
    indexes: indexes.map((cols, i) => ({ name: `i${i}`, columns: cols, usable: true })),
  };
}

async function statement(queryid: string, text: string, totalMs = 100): Promise<WorkloadStatement> {
  const shape = await readStatementShape(text);
  if (!shape.ok) throw new Error(shape.reason);
  return { queryid, query: text, calls: 10, totalMs, shape: shape.shape };
}

const orders = () => table('orders', 200_000, { customer_id: 20_000, status: 3, created_at: -1, region: 50 });
const tables = (...list: TableFacts[]) => new Map(list.map((t) => [`.${t.name}`, t]));

describe('reading normalized statements', () => {
  it('rewrites typed literals stored as `type $n` into casts the server parses', () => {
    expect(rewriteTypedLiterals('select * from t where at > timestamptz $2 and d = date $3 and x = $1')).toBe(
      'select * from t where at > $2::timestamptz and d = $3::date and x = $1',
    );
    expect(rewriteTypedLiterals('select * from t where at < timestamp with time zone $1')).toBe(
      'select * from t where at < $1::timestamp with time zone',
    );
  });

  it('finds equality, range, join and sort columns, resolving aliases', async () => {
    const result = await readStatementShape(
      'select o.* from orders o join customers c on c.id = o.customer_id where o.status = $1 and ' +
        'o.created_at >= $2 and c.region in ($3, $4) order by o.created_at',
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const uses = result.shape.uses.map((u) => `${u.relations.map((r) => r.name).join('|')}.${u.column}:${u.kind}`);
    expect(uses.sort()).toEqual([
      'customers.id:join',
      'customers.region:equality',
      'orders.created_at:order',
      'orders.created_at:range',
      'orders.customer_id:join',
      'orders.status:equality',
    ]);
    expect(result.shape.paramCount).toBe(4);
  });

  it(
    'ignores columns under OR and wrapped in expressions, and refuses statements that are not SELECT, UPDATE ' +
      'or DELETE',
    async () => {
      const result = await readStatementShape(
        'select * from orders where (status = $1 or region = $2) and lower(email) = $3',
      );
      expect(result.ok && result.shape.uses).toEqual([]);
      expect((await readStatementShape('insert into orders values ($1)')).ok).toBe(false);
    },
  );
});

describe('candidate indexes', () => {
  it('puts equality columns first, then the range column, and serves two statements with one index', async () => {
    const a = await statement('1', 'select * from orders where customer_id = $1');
    const b = await statement('2', 'select * from orders where customer_id = $1 and created_at > $2');
    const { candidates } = buildCandidates([a, b], tables(orders()));
    expect(candidates.map((c) => c.columns)).toEqual([['customer_id', 'created_at']]);
    expect(candidates[0].statements.map((s) => s.queryid).sort()).toEqual(['1', '2']);
  });

  it('skips a low-selectivity column, a tiny table and a column already leading an index', async () => {
    const status = await statement('1', 'select * from orders where status = $1');
    const tiny = await statement('2', 'select * from tiny where code = $1');
    const indexed = await statement('3', 'select * from events where account_id = $1');
    const { candidates, skips } = buildCandidates(
      [status, tiny, indexed],
      tables(
        orders(),
        table('tiny', 100, { code: 100 }),
        table('events', 50_000, { account_id: 5_000 }, [['account_id']]),
      ),
    );
    expect(candidates).toEqual([]);
    expect([...skips.lowSelectivityColumns]).toEqual(['public.orders.status']);
    expect([...skips.tinyTables]).toEqual(['public.tiny']);
    expect([...skips.alreadyIndexed]).toEqual(['public.events(account_id)']);
  });
});

describe('advice worth taking', () => {
  const verdict = (before: number, after: number): Verdict =>
    ({
      candidate: {} as never,
      method: 'hypopg',
      sizeBytes: null,
      served: [
        {
          statement: { calls: 10 } as never,
          costBefore: before,
          costAfter: after,
          planBefore: {} as never,
          planAfter: null,
        },
      ],
    }) as Verdict;

  it('keeps an index that halves the calls-weighted cost, and none that does less', () => {
    expect(worthTaking(verdict(1000, 500))).toBe(true);
    expect(worthTaking(verdict(1000, 501))).toBe(false);
  });

  it('writes a CREATE INDEX CONCURRENTLY that quotes what must be quoted', () => {
    const t = table('Order Lines', 20_000, { user: 10_000, sku: 10_000 });
    expect(createIndexStatement(t, ['user', 'sku'])).toBe(
      'CREATE INDEX CONCURRENTLY "Order Lines_user_sku_idx" ON public."Order Lines" ("user", sku);',
    );
  });
});
