import { capField, emptyEntry, orNull, type EntrySink, type LogEntry } from './log-entry.js';
import { LineSplitter } from './line-splitter.js';

// jsonlog keys (PostgreSQL 15+, docs "Using JSON-Format Log Output"); absent keys mean "not set".
interface JsonLogRecord {
  timestamp?: string;
  user?: string;
  dbname?: string;
  remote_host?: string;
  error_severity?: string;
  state_code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  context?: string;
  statement?: string;
  application_name?: string;
  pid?: number;
}

/** Parses jsonlog: one JSON object per line. A line that is not valid JSON is skipped and counted. */
export class JsonLogParser {
  private readonly lines: LineSplitter;
  invalidLines = 0;

  constructor(
    private readonly sink: EntrySink,
    dropFirstLine = false,
  ) {
    this.lines = new LineSplitter((line) => this.line(line), dropFirstLine);
  }

  push(text: string): void {
    this.lines.push(text);
  }

  /** Ends the file; returns the unfinished last line, if any. */
  end(): string {
    return this.lines.end();
  }

  private line(line: string): void {
    if (!line.trim()) return;
    let record: JsonLogRecord;
    try {
      record = JSON.parse(line) as JsonLogRecord;
    } catch {
      this.invalidLines++;
      return;
    }
    this.sink(toEntry(record));
  }
}

function toEntry(r: JsonLogRecord): LogEntry {
  const entry = emptyEntry();
  entry.time = orNull(r.timestamp);
  entry.user = orNull(r.user);
  entry.database = orNull(r.dbname);
  entry.host = orNull(r.remote_host);
  entry.severity = r.error_severity || 'LOG';
  entry.sqlstate = orNull(r.state_code);
  entry.message = capField(r.message ?? '');
  entry.detail = r.detail ? capField(r.detail) : null;
  entry.hint = r.hint ? capField(r.hint) : null;
  entry.context = r.context ? capField(r.context) : null;
  entry.statement = r.statement ? capField(r.statement) : null;
  entry.application = orNull(r.application_name);
  entry.pid = r.pid === undefined ? null : String(r.pid);
  return entry;
}
