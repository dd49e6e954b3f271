import { type Db, getDb } from '../../db/client.js';
import {
  findTasksWithVersion,
  type ListedTask,
  listFingerprint,
  listTasks,
  listTaskVersions,
  type TaskListFilter,
  taskListFingerprint,
} from '../../db/queries/tasks.js';
import { toTaskResponse } from './task-response.js';

/** One task's response JSON, at the row version it was read at. */
interface TaskJson {
  id: number;
  version: string;
  isActive: boolean;
  json: string;
}

interface KeptListing {
  fingerprint: string;
  body: string;
}

interface Kept {
  tasks: Map<number, TaskJson>;
  listings: Map<string, KeptListing>;
}

// A few filters' worth (all, active, inactive, a page): each body is ~600 bytes per task.
const KEPT_LISTINGS = 4;
const keptByDatabase = new WeakMap<Db, Kept>();

/** The list's JSON text and its entity tag; `body` is null when the caller's copy (If-None-Match) is current. */
export interface TaskList {
  etag: string;
  body: string | null;
}

/**
 * The task list as the response's JSON text. Listing 10,000 tasks is a ~6 MB body that costs over
 * 100 ms to read and serialize, and dashboards ask for it again and again while few rows change.
 * So each container keeps each task's JSON with its row version, and its last bodies with a
 * fingerprint of the listed rows' ids and versions: an unchanged list is answered from one small
 * aggregate (a few ms at 10,000 tasks), and a changed one reads the versions and only the rows
 * whose version moved. The fingerprint is also the ETag, so a client that sends it back in
 * If-None-Match gets no body at all while nothing changed.
 */
export async function listTasksJson(filter: TaskListFilter, ifNoneMatch?: string): Promise<TaskList> {
  const db = getDb();
  const kept = keptFor(db);
  const key = JSON.stringify([filter.isActive, filter.afterId, filter.limit]);
  const last = kept.listings.get(key);
  if (last || ifNoneMatch) {
    const current = await taskListFingerprint(db, filter);
    if (ifNoneMatch && matchesEtag(ifNoneMatch, etagOf(current))) return { etag: etagOf(current), body: null };
    if (last?.fingerprint === current) return { etag: etagOf(current), body: last.body };
  }

  const listed =
    kept.tasks.size === 0 ? await readAll(db, filter, kept.tasks) : await readChanged(db, filter, kept.tasks);
  // The fingerprint kept is that of the rows read, not the one just compared: a change committed
  // in between is then in the body, and a later listing that sees it compares equal.
  const listing = { fingerprint: listFingerprint(listed), body: `[${listed.map((task) => task.json).join(',')}]` };
  kept.listings.delete(key);
  kept.listings.set(key, listing);
  if (kept.listings.size > KEPT_LISTINGS) kept.listings.delete(kept.listings.keys().next().value as string);
  if (filter.isActive === undefined && filter.afterId === undefined && filter.limit === undefined)
    forgetUnlisted(kept.tasks, listed);
  return { etag: etagOf(listing.fingerprint), body: listing.body };
}

const etagOf = (fingerprint: string) => `"${fingerprint}"`;

/** If-None-Match holds one or more tags, weak (W/) or strong, or `*`. */
function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

async function readAll(db: Db, filter: TaskListFilter, tasks: Map<number, TaskJson>): Promise<TaskJson[]> {
  return (await listTasks(db, filter)).map((row) => remember(tasks, row));
}

async function readChanged(db: Db, filter: TaskListFilter, tasks: Map<number, TaskJson>): Promise<TaskJson[]> {
  const versions = await listTaskVersions(db, filter);
  const changed = versions.filter((v) => tasks.get(v.id)?.version !== v.version).map((v) => v.id);
  if (changed.length > 0) {
    const found = new Set<number>();
    for (const row of await findTasksWithVersion(db, changed)) found.add(remember(tasks, row).id);
    // Deleted since the versions were read.
    for (const id of changed) if (!found.has(id)) tasks.delete(id);
  }
  // A row read after the versions may be newer than its listed version, and no longer match the filter.
  return versions.flatMap((v) => {
    const task = tasks.get(v.id);
    return task && (filter.isActive === undefined || task.isActive === filter.isActive) ? [task] : [];
  });
}

function remember(tasks: Map<number, TaskJson>, row: ListedTask): TaskJson {
  const task = { id: row.id, version: row.version, isActive: row.isActive, json: JSON.stringify(toTaskResponse(row)) };
  tasks.set(row.id, task);
  return task;
}

function forgetUnlisted(tasks: Map<number, TaskJson>, listed: TaskJson[]): void {
  const ids = new Set(listed.map((task) => task.id));
  for (const id of tasks.keys()) if (!ids.has(id)) tasks.delete(id);
}

function keptFor(db: Db): Kept {
  let kept = keptByDatabase.get(db);
  if (!kept) keptByDatabase.set(db, (kept = { tasks: new Map(), listings: new Map() }));
  return kept;
}
