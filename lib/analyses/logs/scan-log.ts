import type postgres from 'postgres';
import { sqlState } from '../../../db/errors.js';
import type { AnalysisTarget, Check, CheckContext, Finding } from '../types.js';
import { LogAggregate } from './log-aggregate.js';
import { createParser, formatOfFile } from './log-format.js';
import {
  planReads,
  positionToKeep,
  POSITION_KEY,
  previousPosition,
  type FilePosition,
  type PlannedRead,
} from './log-position.js';
import { listLogFiles, LogFileReader } from './log-reader.js';
import { readLogSettings, type LogSettings } from './log-settings.js';
import { CHUNK_BYTES, MAX_BYTES_PER_RUN, PARSE_SLICE_CHARS, READ_TIME_SHARE } from './thresholds.js';
import { perReview } from '../per-review.js';

export interface FileCoverage {
  name: string;
  from: number;
  to: number;
}

export interface LogCoverage {
  firstRun: boolean;
  files: FileCoverage[];
  bytesRead: number;
  unreadableBytes: number;
  /** New bytes left for the next run because the byte cap or the time share was reached. */
  bytesLeft: number;
  stoppedBy: 'byte_cap' | 'time' | null;
  /** Files whose name was reused (truncated or rewritten) since the previous run: read from 0. */
  restartedFiles: string[];
}

export interface LogScan {
  settings: LogSettings;
  aggregate: LogAggregate;
  coverage: LogCoverage;
}

/** A log check: a report over the scan, so it can be run on a parsed sample without a server. */
export interface LogCheck extends Check {
  report(scan: LogScan): Finding[];
}

export function logCheck(id: string, targets: AnalysisTarget[], report: (scan: LogScan) => Finding[]): LogCheck {
  return { id, targets, report, run: async (ctx) => report(await scanServerLog(ctx)) };
}

/** The server log read since the previous run of this task, parsed into aggregates (once per review). */
export const scanServerLog = perReview(readNewLog);

async function readNewLog(ctx: CheckContext): Promise<LogScan> {
  const deadline = performance.now() + ctx.params.query_timeout * 1000 * READ_TIME_SHARE;
  const settings = await readLogSettings(ctx.sql, ctx.server.current_user, ctx.server.provider);
  const files = (await listLogFiles(ctx.sql)).filter((f) => formatOfFile(f.name) === settings.format);
  const previous = previousPosition(ctx.previousState);
  const aggregate = new LogAggregate();
  const coverage: LogCoverage = {
    firstRun: previous === null,
    files: [],
    bytesRead: 0,
    unreadableBytes: 0,
    bytesLeft: 0,
    stoppedBy: null,
    restartedFiles: [],
  };
  const positions = new Map<string, FilePosition>();

  for (const planned of planReads(files, previous)) {
    const { file } = planned;
    const knownHead = previous?.files[file.name]?.head ?? null;
    if (planned.from >= file.size) {
      positions.set(file.name, { offset: file.size, head: knownHead });
      continue;
    }
    const stop = coverage.bytesRead >= MAX_BYTES_PER_RUN ? 'byte_cap' : performance.now() >= deadline ? 'time' : null;
    if (stop) {
      coverage.stoppedBy ??= stop;
      coverage.bytesLeft += file.size - planned.from;
      positions.set(file.name, { offset: planned.from, head: knownHead });
      continue;
    }
    try {
      const read = await readFile(ctx.sql, settings, planned, aggregate, coverage, deadline);
      positions.set(file.name, read);
    } catch (error) {
      // 58P01: the file was removed (rotation, log cleanup) between listing and reading.
      if (sqlState(error) !== '58P01') throw error;
    }
  }

  aggregate.finish();
  ctx.state[POSITION_KEY] = positionToKeep(files, positions);
  return { settings, aggregate, coverage };
}

async function readFile(
  sql: postgres.Sql,
  settings: LogSettings,
  planned: PlannedRead,
  aggregate: LogAggregate,
  coverage: LogCoverage,
  deadline: number,
): Promise<FilePosition> {
  const { file } = planned;
  const reader = new LogFileReader(sql, settings, file.name);
  let from = planned.from;
  if (planned.expectedHead) {
    const head = await reader.headLike(planned.expectedHead, file.size);
    if (head !== planned.expectedHead) {
      from = 0;
      coverage.restartedFiles.push(file.name);
    }
  }
  const head = from === 0 || !planned.expectedHead ? await reader.head(file.size) : planned.expectedHead;
  const parser = createParser(
    settings.format,
    settings.logLinePrefix,
    (entry) => aggregate.add(entry),
    planned.startsMidFile && from > 0,
  );
  const end = Math.min(file.size, from + (MAX_BYTES_PER_RUN - coverage.bytesRead));

  // The next chunk is requested before the current one is parsed, so the server reads while we parse.
  let position = from;
  let next = position < end ? reader.read(position, Math.min(CHUNK_BYTES, end - position)) : null;
  while (next) {
    const chunk = await next;
    position += chunk.bytes;
    const more = position < end && chunk.bytes > 0 && performance.now() < deadline;
    next = more ? reader.read(position, Math.min(CHUNK_BYTES, end - position)) : null;
    coverage.bytesRead += chunk.bytes;
    coverage.unreadableBytes += chunk.unreadableBytes;
    // Parsed in slices with a turn of the event loop between them, so the next chunk's bytes are taken off
    // the socket while this one is parsed: otherwise the server stalls on a full socket and reading waits for parsing.
    for (let at = 0; at < chunk.text.length; at += PARSE_SLICE_CHARS) {
      parser.push(chunk.text.slice(at, at + PARSE_SLICE_CHARS));
      await new Promise(setImmediate);
    }
  }
  const offset = position - parser.finish();
  if (position < file.size) {
    coverage.stoppedBy ??= position >= end ? 'byte_cap' : 'time';
    coverage.bytesLeft += file.size - position;
  }
  coverage.files.push({ name: file.name, from, to: position });
  return { offset, head };
}
