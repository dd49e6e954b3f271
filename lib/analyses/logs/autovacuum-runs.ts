import { detach, type LogEntry } from './log-entry.js';

export interface TableMaintenance {
  table: string;
  vacuums: number;
  /** Vacuums run to prevent transaction ID wraparound (aggressive, anti-wraparound). */
  wraparoundVacuums: number;
  analyzes: number;
  elapsedSeconds: number;
  maxElapsedSeconds: number;
  tuplesRemoved: number;
  /** Vacuums that left dead tuples behind because an older snapshot could still see them. */
  runsLeavingDead: number;
  lastDeadNotRemovable: number;
  /** The oldest xmin the last such vacuum reported: what held the cleanup back. */
  lastOldestXmin: string | null;
  firstVacuumAt: string | null;
  lastVacuumAt: string | null;
  firstTime: string | null;
  lastTime: string | null;
}

// "automatic vacuum of table "shop.public.orders": index scans: 1" and the aggressive and
// anti-wraparound forms (vacuumlazy.c); "automatic analyze of table "shop.public.orders"" (analyze.c).
const VACUUM = /^automatic (aggressive )?vacuum (to prevent wraparound )?of table "([^"]+)"/;
const ANALYZE = /^automatic analyze of table "([^"]+)"/;
const TUPLES = /tuples: (\d+) removed, \d+ remain, (\d+) are dead but not yet removable(?:, oldest xmin: (\d+))?/;
const ELAPSED = /elapsed: ([\d.]+) s/;

// Tables tracked; a cluster with more tables vacuumed in one window keeps the busiest.
const TABLES = 1_000;

/**
 * Autovacuum and autoanalyze runs per table (log_autovacuum_min_duration), as pgBadger's
 * "Vacuums" page: runs, time, tuples removed, and the tuples a vacuum had to leave because the
 * xmin horizon was held back (a long transaction, a prepared transaction or a replication slot).
 */
export class AutovacuumRuns {
  private readonly tables = new Map<string, TableMaintenance>();
  vacuums = 0;
  analyzes = 0;
  tablesNotKept = 0;

  /** Reads a LOG entry; false when it is not an autovacuum or autoanalyze report. */
  add(e: LogEntry): boolean {
    const m = e.message;
    if (!m.startsWith('automatic ')) return false;
    const vacuum = VACUUM.exec(m);
    const analyze = vacuum ? null : ANALYZE.exec(m);
    if (!vacuum && !analyze) return false;
    const t = this.table(vacuum ? vacuum[3] : analyze![1]);
    if (!t) return true;
    const time = detach(e.time);
    t.firstTime ??= time;
    t.lastTime = time ?? t.lastTime;
    const elapsed = Number(ELAPSED.exec(m)?.[1] ?? 0);
    t.elapsedSeconds += elapsed;
    t.maxElapsedSeconds = Math.max(t.maxElapsedSeconds, elapsed);
    if (analyze) {
      this.analyzes++;
      t.analyzes++;
      return true;
    }
    this.vacuums++;
    t.vacuums++;
    if (vacuum![1] || vacuum![2]) t.wraparoundVacuums++;
    t.firstVacuumAt ??= time;
    t.lastVacuumAt = time ?? t.lastVacuumAt;
    const tuples = TUPLES.exec(m);
    if (tuples) {
      t.tuplesRemoved += Number(tuples[1]);
      const dead = Number(tuples[2]);
      t.lastDeadNotRemovable = dead;
      if (dead > 0) {
        t.runsLeavingDead++;
        t.lastOldestXmin = tuples[3] ?? null;
      }
    }
    return true;
  }

  /** Tables by number of runs, busiest first. */
  ranked(): TableMaintenance[] {
    return [...this.tables.values()].sort((a, b) => b.vacuums + b.analyzes - (a.vacuums + a.analyzes));
  }

  private table(name: string): TableMaintenance | null {
    let t = this.tables.get(name);
    if (!t) {
      if (this.tables.size >= TABLES) {
        this.tablesNotKept++;
        return null;
      }
      t = {
        table: detach(name),
        vacuums: 0,
        wraparoundVacuums: 0,
        analyzes: 0,
        elapsedSeconds: 0,
        maxElapsedSeconds: 0,
        tuplesRemoved: 0,
        runsLeavingDead: 0,
        lastDeadNotRemovable: 0,
        lastOldestXmin: null,
        firstVacuumAt: null,
        lastVacuumAt: null,
        firstTime: null,
        lastTime: null,
      };
      this.tables.set(t.table, t);
    }
    return t;
  }
}
