import { type Db, getDb } from '../../db/client.js';
import { listFingerprint, listTasks, type TaskListFilter, taskListFingerprint } from '../../db/queries/tasks.js';
import { toTaskResponse } from './task-response.js';

interface KeptListing {
  fingerprint: string;
  body: string;
}

// A few filters' worth (all, active, inactive, a page): each body is ~600 bytes per task.
const KEPT_LISTINGS = 4;
const keptByDatabase = new WeakMap<Db, Map<string, KeptListing>>();

/**
 * The task list as the response's JSON text. Listing 10,000 tasks is a ~6 MB body that costs over
 * 100 ms to read and serialize, and dashboards ask for it again and again while few rows change.
 * So each container keeps its last bodies with a fingerprint of the listed rows' ids and versions,
 * and answers from one small aggregate (a few ms at 10,000 tasks) whenever the fingerprint is the same.
 */
export async function listTasksJson(filter: TaskListFilter): Promise<string> {
  const db = getDb();
  const kept = keptListings(db);
  const key = JSON.stringify([filter.isActive, filter.afterId, filter.limit]);
  const last = kept.get(key);
  if (last && last.fingerprint === (await taskListFingerprint(db, filter))) return last.body;

  // The fingerprint kept is that of the rows read here, not the one just compared: a change committed
  // in between is then in the body, and a later listing that sees it compares equal.
  const tasks = await listTasks(db, filter);
  const listing = { fingerprint: listFingerprint(tasks), body: JSON.stringify(tasks.map(toTaskResponse)) };
  kept.delete(key);
  kept.set(key, listing);
  if (kept.size > KEPT_LISTINGS) kept.delete(kept.keys().next().value as string);
  return listing.body;
}

function keptListings(db: Db): Map<string, KeptListing> {
  let kept = keptByDatabase.get(db);
  if (!kept) keptByDatabase.set(db, (kept = new Map()));
  return kept;
}
