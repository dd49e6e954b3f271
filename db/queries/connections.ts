import { asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { connections, type ConnectionRow } from '../schema/index.js';

export type NewConnection = typeof connections.$inferInsert;

export async function insertConnection(db: DbOrTx, values: NewConnection): Promise<ConnectionRow> {
  const [row] = await db.insert(connections).values(values).returning();
  return row;
}

export async function findConnection(db: DbOrTx, id: number): Promise<ConnectionRow | undefined> {
  const [row] = await db.select().from(connections).where(eq(connections.id, id));
  return row;
}

export async function listConnections(db: DbOrTx): Promise<ConnectionRow[]> {
  return db.select().from(connections).orderBy(asc(connections.id));
}

export async function updateConnectionRow(db: DbOrTx, id: number, changes: Partial<NewConnection>): Promise<ConnectionRow | undefined> {
  const [row] = await db
    .update(connections)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(connections.id, id))
    .returning();
  return row;
}

export async function deleteConnectionRow(db: DbOrTx, id: number): Promise<boolean> {
  const rows = await db.delete(connections).where(eq(connections.id, id)).returning({ id: connections.id });
  return rows.length > 0;
}
