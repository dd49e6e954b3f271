import { FIRST_RUN_WINDOW_BYTES, TRACKED_FILES } from './thresholds.js';

/** A file in log_directory, as pg_ls_logdir() lists it. */
export interface LogFile {
  name: string;
  size: number;
  /** ISO timestamp of the last modification. */
  modified: string;
}

/** How far a file has been read, and a fingerprint of its first bytes to notice reuse. */
export interface FilePosition {
  offset: number;
  /** "<bytes>:<hash>" of the file's first bytes when it was first read; null when not taken. */
  head: string | null;
}

/**
 * Kept in the result's state under 'logs.position' for the next run of the same task.
 * newest_modified lets the next run tell a file created since (read from 0) from an old file it
 * no longer tracks (already covered).
 */
export interface LogPosition {
  newest_modified: string | null;
  files: Record<string, FilePosition>;
}

export interface PlannedRead {
  file: LogFile;
  /** Byte offset to start reading at; equal to the size when there is nothing new. */
  from: number;
  /** Reading starts inside the file (first-run window): the first line is a fragment. */
  startsMidFile: boolean;
  /** The fingerprint recorded last time, to compare before continuing from `from`. */
  expectedHead: string | null;
}

export const POSITION_KEY = 'logs.position';

/**
 * Where to start reading each file, oldest first.
 * - A file known from the previous run continues at its offset; if it is now smaller, it was
 *   truncated (log_truncate_on_rotation) and is read from 0.
 * - A file the previous run did not know is new when it was modified at or after the newest file
 *   that run saw, and is read from 0; otherwise it is old and counts as already covered.
 * - On a first run only the newest FIRST_RUN_WINDOW_BYTES are read, counted back from the end of
 *   the newest file; everything older is marked as seen.
 */
export function planReads(
  files: LogFile[],
  previous: LogPosition | null,
  windowBytes = FIRST_RUN_WINDOW_BYTES,
): PlannedRead[] {
  const ordered = [...files].sort(
    (a, b) => Date.parse(a.modified) - Date.parse(b.modified) || a.name.localeCompare(b.name),
  );
  if (!previous) return planFirstRun(ordered, windowBytes);
  const newest = previous.newest_modified ? Date.parse(previous.newest_modified) : -Infinity;
  return ordered.map((file) => {
    const known = previous.files[file.name];
    if (known) {
      if (file.size < known.offset) return { file, from: 0, startsMidFile: false, expectedHead: null };
      return { file, from: known.offset, startsMidFile: false, expectedHead: known.offset > 0 ? known.head : null };
    }
    const isNew = Date.parse(file.modified) >= newest;
    return { file, from: isNew ? 0 : file.size, startsMidFile: false, expectedHead: null };
  });
}

function planFirstRun(ordered: LogFile[], windowBytes: number): PlannedRead[] {
  let remaining = windowBytes;
  const plan: PlannedRead[] = [];
  for (let i = ordered.length - 1; i >= 0; i--) {
    const file = ordered[i];
    const take = Math.min(file.size, remaining);
    remaining -= take;
    const from = file.size - take;
    plan.unshift({ file, from, startsMidFile: from > 0 && take > 0, expectedHead: null });
  }
  return plan;
}

/** The position to store: the most recent files only, since older ones no longer grow. */
export function positionToKeep(files: LogFile[], offsets: Map<string, FilePosition>): LogPosition {
  const recent = [...files].sort((a, b) => Date.parse(b.modified) - Date.parse(a.modified)).slice(0, TRACKED_FILES);
  const kept: Record<string, FilePosition> = {};
  for (const file of recent) {
    const position = offsets.get(file.name);
    if (position) kept[file.name] = position;
  }
  return { newest_modified: recent[0]?.modified ?? null, files: kept };
}

/** The previous run's position, if it has the expected shape. */
export function previousPosition(state: Record<string, unknown>): LogPosition | null {
  const value = state[POSITION_KEY] as Partial<LogPosition> | undefined;
  if (!value || typeof value !== 'object' || typeof value.files !== 'object' || value.files === null) return null;
  return {
    newest_modified: typeof value.newest_modified === 'string' ? value.newest_modified : null,
    files: value.files,
  };
}
