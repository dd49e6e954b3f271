import { countInto, emptyBreakdown, type Breakdown } from './breakdown.js';
import { detach, type LogEntry } from './log-entry.js';
import { normalizeQuery, truncate } from './normalize.js';
import { fingerprintFrom, lastTextRecurs } from './statement-key.js';
import { STATEMENT_KEYS } from './thresholds.js';
import { QUERY_TEXT_CHARS } from '../query-text.js';

// Durations are kept per statement in a log-scale histogram with four buckets per doubling of
// microseconds, so a percentile is known within 19% (2^(1/4)) at 136 counters per statement.
const BUCKETS_PER_DOUBLING = 4;
const BUCKETS = 136;

// Statement texts that recur verbatim (see lastTextRecurs) are remembered with their fingerprint,
// so a statement an application runs again and again is fingerprinted once, not at every run.
// Bounded like the error-message cache: at most this many texts of at most this many characters,
// forgotten all at once when full. A text is first checked against the lengths remembered, so a
// log of texts that never recur pays one array read per line for the cache, not a lookup.
const RECURRING_TEXTS = 2_000;
const RECURRING_TEXT_CHARS = 2_000;
const LENGTH_SLOTS = 4096;

export interface StatementStats {
  /** Normalized text as shown (normalizeQuery, cut at QUERY_TEXT_CHARS). */
  text: string;
  /** Runs and total time, including what it inherited when it took an evicted statement's slot (see errorMs). */
  count: number;
  totalMs: number;
  /** Space-Saving's bound: the true total is between totalMs - errorMs and totalMs; 0 when exact. */
  errorMs: number;
  errorCount: number;
  /** Over the runs seen since the statement got its slot (all of them when errorMs is 0). */
  maxMs: number;
  maxAt: string | null;
  histogram: Uint32Array;
  databases: Breakdown;
  /** The role of its first logged run: statements are rarely shared between roles. */
  user: string | null;
  heapIndex: number;
}

export interface PhaseTotals {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface ParsedDuration {
  ms: number;
  /** 'statement' and 'execute' are runs of a statement; 'parse' and 'bind' are protocol steps before one. */
  kind: 'statement' | 'execute' | 'parse' | 'bind' | null;
  /** Offset of the statement text in the message, or -1 for a bare "duration: N ms" (log_duration). */
  textAt: number;
}

// "duration: 150.123 ms  statement: select ..." and the extended-protocol forms
// "execute <unnamed>: ...", "execute S_1/C_1: ...", "parse S_1: ...", "bind S_1: ..." (pgBadger
// parse_query). Read with indexOf and startsWith, not a regex: this runs on most lines of a busy log.
const DURATION = 'duration: '.length;
const KIND_BY_FIRST_LETTER = new Map<number, 'statement' | 'execute' | 'parse' | 'bind'>([
  [115, 'statement'],
  [101, 'execute'],
  [112, 'parse'],
  [98, 'bind'],
]);

export function parseDuration(message: string): ParsedDuration | null {
  // "123.456": digits read in place, without slicing the message or calling parseFloat.
  let at = DURATION;
  let whole = 0;
  let digits = 0;
  for (let c = message.charCodeAt(at); c >= 48 && c <= 57; c = message.charCodeAt(++at), digits++)
    whole = whole * 10 + (c - 48);
  if (digits === 0) return null;
  let ms = whole;
  if (message.charCodeAt(at) === 46) {
    let scale = 1;
    let fraction = 0;
    for (let c = message.charCodeAt(++at); c >= 48 && c <= 57; c = message.charCodeAt(++at)) {
      fraction = fraction * 10 + (c - 48);
      scale *= 10;
    }
    ms += fraction / scale;
  }
  if (!message.startsWith(' ms', at)) return null;
  at += 3;
  while (message.charCodeAt(at) === 32) at++;
  const kind = KIND_BY_FIRST_LETTER.get(message.charCodeAt(at));
  if (kind === undefined || !message.startsWith(kind, at)) return { ms, kind: null, textAt: -1 };
  const colon = message.indexOf(':', at + kind.length);
  if (colon === -1) return { ms, kind: null, textAt: -1 };
  let textAt = colon + 1;
  while (message.charCodeAt(textAt) === 32) textAt++;
  return { ms, kind, textAt };
}

/**
 * Per-statement aggregates over every statement logged by log_min_duration_statement, in bounded
 * memory: a weighted Space-Saving sketch (Metwally, Agrawal, El Abbadi 2005) keyed by the
 * fingerprint of the normalized text and weighted by duration, so it keeps the statements with the most total time.
 * While fewer than STATEMENT_KEYS distinct statements are seen every figure is exact; past that a
 * new statement takes the slot of the one with the least total time and inherits that total as
 * its error bound, which is never more than (total logged time) / STATEMENT_KEYS.
 * parse and bind steps of the extended protocol are totalled apart: they are not runs.
 */
export class StatementStatsSketch {
  runs = 0;
  totalMs = 0;
  /** "duration: N ms" lines without a statement (log_duration = on). */
  bareDurations = 0;
  readonly parse: PhaseTotals = { count: 0, totalMs: 0, maxMs: 0 };
  readonly bind: PhaseTotals = { count: 0, totalMs: 0, maxMs: 0 };
  evictions = 0;
  private readonly byKey = new Map<number, StatementStats & { key: number }>();
  private readonly keyByText = new Map<string, number>();
  private readonly textsByLength = new Uint16Array(LENGTH_SLOTS);
  private readonly heap: Array<StatementStats & { key: number }> = [];

  constructor(private readonly capacity = STATEMENT_KEYS) {}

  /** Records one duration line; returns the statement's key for a run (so a temp file can name it), else null. */
  add(e: LogEntry, d: ParsedDuration): number | null {
    if (d.kind === 'parse' || d.kind === 'bind') {
      const phase = d.kind === 'parse' ? this.parse : this.bind;
      phase.count++;
      phase.totalMs += d.ms;
      if (d.ms > phase.maxMs) phase.maxMs = d.ms;
      return null;
    }
    if (d.textAt < 0) {
      this.bareDurations++;
      return null;
    }
    this.runs++;
    this.totalMs += d.ms;
    const key = this.keyOf(e.message, d.textAt);
    let s = this.byKey.get(key);
    if (!s) {
      s = this.admit(key, e.message.slice(d.textAt));
      s.user = detach(e.user);
    }
    s.count++;
    s.totalMs += d.ms;
    if (d.ms > s.maxMs) {
      s.maxMs = d.ms;
      s.maxAt = detach(e.time);
    }
    s.histogram[bucketOf(d.ms)]++;
    if (e.database) countInto(s.databases, e.database, BREAKDOWN_KEYS);
    this.siftDown(s.heapIndex);
    return key;
  }

  /** The fingerprint of message.slice(from): remembered for a recurring text, else computed. */
  private keyOf(message: string, from: number): number {
    const length = message.length - from;
    if (this.textsByLength[length % LENGTH_SLOTS] > 0) {
      const known = this.keyByText.get(message.slice(from));
      if (known !== undefined) return known;
    }
    const key = fingerprintFrom(message, from);
    if (lastTextRecurs && length <= RECURRING_TEXT_CHARS) {
      if (this.keyByText.size >= RECURRING_TEXTS) {
        this.keyByText.clear();
        this.textsByLength.fill(0);
      }
      this.keyByText.set(detach(message.slice(from)), key);
      this.textsByLength[length % LENGTH_SLOTS]++;
    }
    return key;
  }

  /** The display text of a statement the sketch holds, by key. */
  textOf(key: number): string | null {
    return this.byKey.get(key)?.text ?? null;
  }

  get distinct(): number {
    return this.byKey.size;
  }

  /** Statements by total time, heaviest first. */
  ranked(): StatementStats[] {
    return [...this.heap].sort((a, b) => b.totalMs - a.totalMs);
  }

  private admit(key: number, raw: string): StatementStats & { key: number } {
    const fresh = {
      key,
      text: detach(truncate(normalizeQuery(raw), QUERY_TEXT_CHARS)),
      count: 0,
      totalMs: 0,
      errorMs: 0,
      errorCount: 0,
      maxMs: 0,
      maxAt: null,
      histogram: new Uint32Array(BUCKETS),
      databases: emptyBreakdown(),
      user: null as string | null,
      heapIndex: 0,
    };
    if (this.heap.length < this.capacity) {
      fresh.heapIndex = this.heap.length;
      this.heap.push(fresh);
      this.siftUp(fresh.heapIndex);
    } else {
      const evicted = this.heap[0];
      this.byKey.delete(evicted.key);
      this.evictions++;
      fresh.count = fresh.errorCount = evicted.count;
      fresh.totalMs = fresh.errorMs = evicted.totalMs;
      this.heap[0] = fresh;
    }
    this.byKey.set(key, fresh);
    return fresh;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].totalMs <= h[i].totalMs) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= h.length) return;
      const right = left + 1;
      const smaller = right < h.length && h[right].totalMs < h[left].totalMs ? right : left;
      if (h[i].totalMs <= h[smaller].totalMs) return;
      this.swap(i, smaller);
      i = smaller;
    }
  }

  private swap(a: number, b: number): void {
    const h = this.heap;
    [h[a], h[b]] = [h[b], h[a]];
    h[a].heapIndex = a;
    h[b].heapIndex = b;
  }
}

function bucketOf(ms: number): number {
  const b = Math.floor(Math.log2(1 + ms * 1000) * BUCKETS_PER_DOUBLING);
  return b < BUCKETS ? b : BUCKETS - 1;
}

/**
 * The duration below which `fraction` of the recorded runs fall: the upper edge of its bucket,
 * capped at the maximum.
 */
export function percentileMs(s: StatementStats, fraction: number): number | null {
  let total = 0;
  for (const n of s.histogram) total += n;
  if (total === 0) return null;
  const wanted = Math.ceil(total * fraction);
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += s.histogram[b];
    if (seen >= wanted) return Math.min(s.maxMs, (2 ** ((b + 1) / BUCKETS_PER_DOUBLING) - 1) / 1000);
  }
  return s.maxMs;
}

// Breakdowns by database and user keep their largest few keys only.
const BREAKDOWN_KEYS = 10;
