import { detach, type LogEntry } from './log-entry.js';
import type { ProcessStates } from './process-states.js';

export interface SessionGroup {
  sessions: number;
  totalMs: number;
  maxMs: number;
}

export interface ConnectionBreakdown {
  connections: number;
  sessions: SessionGroup;
}

// "connection received: host=10.0.0.5 port=51234" (log_connections, before authentication)
const RECEIVED = /^connection received: host=(\S+)/;
// "connection authorized: user=app database=shop application_name=api" (PG 12+ may add SSL details)
const AUTHORIZED = /^connection authorized: user=(\S+)(?: database=(\S+))?/;
// "disconnection: session time: 0:00:01.234 user=app database=shop host=10.0.0.5 port=51234"
const DISCONNECTION = /^disconnection: session time: (\d+):(\d+):(\d+(?:\.\d+)?) user=(\S*) database=(\S*) host=(\S*)/;

// Breakdowns keep the busiest keys only.
const KEYS = 200;

/**
 * Connections (log_connections) and sessions (log_disconnections, whose line carries the session
 * length) per database, user and host, as pgBadger's "Connections" and "Sessions" pages. Also
 * remembers each process's client host, so later entries of a log_line_prefix without %h still
 * say where they came from.
 */
export class Sessions {
  received = 0;
  authorized = 0;
  readonly all: SessionGroup = { sessions: 0, totalMs: 0, maxMs: 0 };
  readonly byDatabase = new Map<string, ConnectionBreakdown>();
  readonly byUser = new Map<string, ConnectionBreakdown>();
  readonly byHost = new Map<string, ConnectionBreakdown>();
  /** Session lengths by bucket, pgBadger's session histogram: < 0.5 s, < 5 s, < 1 min, < 30 min, < 4 h, longer. */
  readonly histogram = [0, 0, 0, 0, 0, 0];

  constructor(private readonly processes: ProcessStates) {}

  /** Reads a LOG entry; false when it is not a connection or disconnection line. */
  add(e: LogEntry): boolean {
    const m = e.message;
    if (m.startsWith('connection received: ')) {
      const host = RECEIVED.exec(m)?.[1] ?? null;
      this.received++;
      if (e.pid && host) {
        this.processes.forget(e.pid);
        this.processes.get(e.pid).host = detach(host);
      }
      return true;
    }
    if (m.startsWith('connection authorized: ')) {
      const r = AUTHORIZED.exec(m);
      this.authorized++;
      const host = e.host ?? this.processes.peek(e.pid)?.host ?? null;
      if (r) {
        breakdown(this.byUser, r[1]).connections++;
        breakdown(this.byDatabase, r[2] ?? e.database ?? '').connections++;
      }
      if (host) breakdown(this.byHost, host).connections++;
      return true;
    }
    if (m.startsWith('disconnection: ')) {
      const r = DISCONNECTION.exec(m);
      if (e.pid) this.processes.forget(e.pid);
      if (!r) return true;
      const ms = (Number(r[1]) * 3600 + Number(r[2]) * 60 + Number(r[3])) * 1000;
      record(this.all, ms);
      record(breakdown(this.byDatabase, r[5]).sessions, ms);
      record(breakdown(this.byUser, r[4]).sessions, ms);
      record(breakdown(this.byHost, r[6]).sessions, ms);
      this.histogram[histogramBucket(ms)]++;
      return true;
    }
    return false;
  }
}

function breakdown(map: Map<string, ConnectionBreakdown>, key: string): ConnectionBreakdown {
  // Past KEYS names, a new one is counted under "(other)": still counted, not listed by name.
  const name = map.has(key) || map.size < KEYS ? key : '(other)';
  let b = map.get(name);
  if (!b) {
    b = { connections: 0, sessions: { sessions: 0, totalMs: 0, maxMs: 0 } };
    map.set(detach(name), b);
  }
  return b;
}

function record(group: SessionGroup, ms: number): void {
  group.sessions++;
  group.totalMs += ms;
  if (ms > group.maxMs) group.maxMs = ms;
}

const HISTOGRAM_BOUNDS_MS = [500, 5_000, 60_000, 1_800_000, 14_400_000];
export const SESSION_HISTOGRAM_LABELS = [
  '< 500 ms',
  '500 ms – 5 s',
  '5 s – 1 min',
  '1 – 30 min',
  '30 min – 4 h',
  '> 4 h',
];

function histogramBucket(ms: number): number {
  const i = HISTOGRAM_BOUNDS_MS.findIndex((bound) => ms < bound);
  return i === -1 ? HISTOGRAM_BOUNDS_MS.length : i;
}
