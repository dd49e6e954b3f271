import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
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

export async function selectConnections(db: DbOrTx): Promise<ConnectionRow[]> {
  return db.select().from(connections).orderBy(asc(connections.id));
}

export async function updateConnectionRow(
  db: DbOrTx,
  id: number,
  changes: Partial<NewConnection>,
): Promise<ConnectionRow | undefined> {
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

export async function listStoredPasswords(db: DbOrTx): Promise<Array<{ id: number; passwordEncrypted: string }>> {
  const rows = await db
    .select({ id: connections.id, passwordEncrypted: connections.passwordEncrypted })
    .from(connections)
    .where(isNotNull(connections.passwordEncrypted))
    .orderBy(asc(connections.id));
  return rows as Array<{ id: number; passwordEncrypted: string }>;
}

/**
 * Swaps one envelope of a password for another of the same password, only if it is still the one read (a
 * concurrent edit wins). updated_at stays: the password did not change, so open sessions need not either.
 */
export async function replacePasswordEnvelope(db: DbOrTx, id: number, from: string, to: string): Promise<boolean> {
  const rows = await db
    .update(connections)
    .set({ passwordEncrypted: to })
    .where(and(eq(connections.id, id), eq(connections.passwordEncrypted, from)))
    .returning({ id: connections.id });
  return rows.length === 1;
}
