import { emptyEntry, orNull, type EntrySink, type LogEntry } from './log-entry.js';
import { FIELD_CHARS } from './thresholds.js';

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

// csvlog columns (PostgreSQL docs, "Using CSV-Format Log Output"); PG 13 adds backend_type and
// PG 14 leader_pid and query_id at the end, after every column read here.
const COLUMN = {
  time: 0,
  user: 1,
  database: 2,
  pid: 3,
  connectionFrom: 4,
  severity: 11,
  sqlstate: 12,
  message: 13,
  detail: 14,
  hint: 15,
  context: 18,
  statement: 19,
  application: 22,
} as const;
const MIN_COLUMNS = 14;
const MAX_COLUMNS = 40;

// A record starts with its log_time: "2024-05-01 10:00:00.123 UTC,".
const RECORD_START = /\n(?=\d{4}-\d{2}-\d{2} )/;

/**
 * Parses csvlog (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) fed in
 * arbitrary chunks. Fields are cut at FIELD_CHARS while the quotes are still tracked, so a
 * huge record costs no more memory than a small one.
 */
export class CsvLogParser {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  /** A quote was the last character of the previous chunk: escaped quote or end of field. */
  private quoteAtChunkEnd = false;
  private inRecord = false;
  private unfinishedBytes = 0;

  constructor(
    private readonly sink: EntrySink,
    /** Set when reading starts mid-file: skip to the first line that starts a record. */
    private resyncing = false,
  ) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.resyncing) {
      const start = text.search(RECORD_START);
      if (start === -1) return;
      text = text.slice(start + 1);
      this.resyncing = false;
    }
    const n = text.length;
    let i = 0;
    let recordStart = 0;
    if (this.quoteAtChunkEnd) {
      this.quoteAtChunkEnd = false;
      if (text.charCodeAt(0) === QUOTE) {
        this.append(text, 0, 1);
        i = 1;
      } else {
        this.inQuotes = false;
      }
    }
    while (i < n) {
      if (!this.inRecord) {
        this.inRecord = true;
        this.unfinishedBytes = 0;
        recordStart = i;
      }
      if (this.inQuotes) {
        const q = text.indexOf('"', i);
        if (q === -1) {
          this.append(text, i, n);
          i = n;
        } else if (q + 1 === n) {
          this.append(text, i, q);
          this.quoteAtChunkEnd = true;
          i = n;
        } else if (text.charCodeAt(q + 1) === QUOTE) {
          this.append(text, i, q + 1);
          i = q + 2;
        } else {
          this.append(text, i, q);
          this.inQuotes = false;
          i = q + 1;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.inQuotes = true;
        i++;
      } else if (c === COMMA) {
        this.endField();
        i++;
      } else if (c === LF) {
        this.endField();
        this.endRecord();
        i++;
      } else if (c === CR) {
        i++;
      } else {
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === COMMA || d === LF || d === CR || d === QUOTE) break;
          j++;
        }
        this.append(text, i, j);
        i = j;
      }
    }
    if (this.inRecord) this.unfinishedBytes += Buffer.byteLength(recordStart === 0 ? text : text.slice(recordStart));
  }

  /** Ends the file; returns how many bytes at its end belong to a record not yet complete. */
  end(): number {
    const unfinished = this.inRecord ? this.unfinishedBytes : 0;
    this.fields = [];
    this.field = '';
    this.inQuotes = false;
    this.quoteAtChunkEnd = false;
    this.inRecord = false;
    this.unfinishedBytes = 0;
    return unfinished;
  }

  private append(text: string, from: number, to: number): void {
    const room = FIELD_CHARS - this.field.length;
    if (room > 0) this.field += text.slice(from, Math.min(to, from + room));
  }

  private endField(): void {
    if (this.fields.length < MAX_COLUMNS) this.fields.push(this.field);
    this.field = '';
  }

  private endRecord(): void {
    const f = this.fields;
    this.fields = [];
    this.inRecord = false;
    if (f.length >= MIN_COLUMNS) this.sink(toEntry(f));
  }
}

function toEntry(f: string[]): LogEntry {
  const entry = emptyEntry();
  entry.time = orNull(f[COLUMN.time]);
  entry.user = orNull(f[COLUMN.user]);
  entry.database = orNull(f[COLUMN.database]);
  entry.host = hostOf(f[COLUMN.connectionFrom]);
  entry.severity = f[COLUMN.severity] || 'LOG';
  entry.sqlstate = orNull(f[COLUMN.sqlstate]);
  entry.message = f[COLUMN.message] ?? '';
  entry.detail = orNull(f[COLUMN.detail]);
  entry.hint = orNull(f[COLUMN.hint]);
  entry.context = orNull(f[COLUMN.context]);
  entry.statement = orNull(f[COLUMN.statement]);
  entry.application = orNull(f[COLUMN.application]);
  entry.pid = orNull(f[COLUMN.pid]);
  return entry;
}

/** connection_from is "host:port" for TCP clients and "[local]" for the Unix socket. */
function hostOf(connectionFrom: string | undefined): string | null {
  if (!connectionFrom) return null;
  const colon = connectionFrom.lastIndexOf(':');
  return orNull(
    colon > 0 && /^\d+$/.test(connectionFrom.slice(colon + 1)) ? connectionFrom.slice(0, colon) : connectionFrom,
  );
}
