import { detach, type LogEntry } from './log-entry.js';
import { SLOW_CANDIDATES } from './thresholds.js';

export interface SlowStatement {
  ms: number;
  /** Raw statement text, cut at the entry's field limit; normalized only when reported. */
  text: string;
  database: string | null;
  user: string | null;
  time: string | null;
}

// "duration: 150.123 ms  statement: select ..." and the extended-protocol forms
// "execute <unnamed>: ...", "parse S_1: ...", "bind S_1: ..." (pgBadger parse_query).
const STATEMENT_TEXT = /^duration: \d+(?:\.\d+)? ms\s+(?:statement|query|(?:execute|parse|bind)[^:]*):\s*/;

/**
 * Statements logged by log_min_duration_statement: totals over all of them, and the slowest few
 * individual runs. The duration is read first, so a statement that cannot enter the heap costs
 * one parseFloat and no regex.
 */
export class SlowStatements {
  count = 0;
  totalMs = 0;
  maxMs = 0;
  private readonly slowest: SlowStatement[] = [];
  private floorMs = 0;

  add(e: LogEntry): void {
    const ms = parseFloat(e.message.slice('duration: '.length));
    if (!Number.isFinite(ms)) return;
    this.count++;
    this.totalMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
    if (this.slowest.length >= SLOW_CANDIDATES && ms <= this.floorMs) return;
    const head = STATEMENT_TEXT.exec(e.message);
    // "duration: N ms" alone (log_duration) carries no statement to report.
    if (!head) return;
    this.insert({ ms, text: detach(e.message.slice(head[0].length)), database: detach(e.database), user: detach(e.user), time: detach(e.time) });
  }

  /** The slowest runs kept, slowest first. */
  top(): SlowStatement[] {
    return [...this.slowest].sort((a, b) => b.ms - a.ms);
  }

  private insert(candidate: SlowStatement): void {
    if (this.slowest.length >= SLOW_CANDIDATES) {
      let lowest = 0;
      for (let i = 1; i < this.slowest.length; i++) if (this.slowest[i].ms < this.slowest[lowest].ms) lowest = i;
      this.slowest[lowest] = candidate;
    } else {
      this.slowest.push(candidate);
    }
    if (this.slowest.length >= SLOW_CANDIDATES) this.floorMs = Math.min(...this.slowest.map((s) => s.ms));
  }
}
