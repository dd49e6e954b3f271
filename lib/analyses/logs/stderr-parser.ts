import { buildLinePattern, fallbackLinePattern, type LinePattern } from './line-prefix.js';
import { capField, emptyEntry, orNull, type EntrySink, type LogEntry } from './log-entry.js';
import { LineSplitter } from './line-splitter.js';
import { FIELD_CHARS } from './thresholds.js';

type TextField = 'message' | 'detail' | 'hint' | 'context' | 'statement';

const ATTACHED_FIELD = new Map<string, TextField | null>([
  ['DETAIL', 'detail'],
  ['HINT', 'hint'],
  ['CONTEXT', 'context'],
  ['STATEMENT', 'statement'],
  ['QUERY', null], // the internal query of a PL/pgSQL error: not needed, and may hold literals
  ['LOCATION', null],
]);

// After this many lines in a row that do not match the current prefix, the file was written with
// another log_line_prefix; from then on (and for the lines held until then) the severity label
// alone marks an entry.
const FALLBACK_AFTER_UNMATCHED = 50;
const HELD_LINES_MAX = 200;
const HELD_LINE_CHARS = FIELD_CHARS + 1024;

/**
 * Parses a stderr log fed in arbitrary chunks. A line that starts with the prefix and a severity
 * starts an entry; DETAIL/HINT/CONTEXT/STATEMENT lines with the same prefix attach to the entry
 * before them; tab-indented lines and lines without a prefix continue the last field.
 * Only the unfinished last line, the entry being built and, while it is unclear whether the prefix
 * changed, up to 50 unmatched lines are held between chunks.
 * Each message is one write by the server, so an entry never spans two files.
 */
export class StderrLogParser {
  private readonly pattern: LinePattern;
  private readonly lines: LineSplitter;
  private fallback: LinePattern | null = null;
  private pending: LogEntry | null = null;
  private openField: TextField | null = null;
  private unmatchedInRow = 0;
  private held: string[] = [];

  constructor(
    logLinePrefix: string,
    private readonly sink: EntrySink,
    /** Set when reading starts mid-file: the first line is a fragment. */
    dropFirstLine = false,
  ) {
    this.pattern = buildLinePattern(logLinePrefix);
    this.lines = new LineSplitter((line) => this.line(line), dropFirstLine);
  }

  push(text: string): void {
    this.lines.push(text);
  }

  /** Ends the file: emits the last entry and returns the unfinished last line, if any. */
  end(): string {
    const rest = this.lines.end();
    this.releaseHeld();
    this.flush();
    return rest;
  }

  private line(line: string): void {
    if (line.charCodeAt(0) === 9) {
      // Held lines keep their order: a continuation among them waits with them.
      if (this.held.length > 0) this.hold(line);
      else this.continue(line.slice(1));
      return;
    }
    const match = this.pattern.regex.exec(line);
    if (match) {
      this.releaseHeld();
      this.unmatchedInRow = 0;
      this.entryLine(line, match, this.pattern);
    } else if (this.fallback) {
      this.fallbackLine(line);
    } else {
      this.hold(line);
      if (++this.unmatchedInRow >= FALLBACK_AFTER_UNMATCHED) this.engageFallback();
    }
  }

  /** A line that starts with a prefix and a severity label: a new entry, or a field of the one before. */
  private entryLine(line: string, match: RegExpExecArray, pattern: LinePattern): void {
    const label = match[pattern.labelGroup];
    const text = capField(line.slice(match[0].length));
    const attached = ATTACHED_FIELD.get(label);
    if (attached !== undefined) {
      this.openField = this.pending ? attached : null;
      if (this.pending && attached) this.pending[attached] = text;
      return;
    }
    this.flush();
    const entry = emptyEntry();
    entry.severity = label;
    entry.message = text;
    const fields = pattern.fields;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      const value = match[i + 1];
      if (field === 'severity' || value === undefined) continue;
      if (field === 'sqlstate') entry.sqlstate = entry.sqlstate ?? orNull(value);
      else entry[field] = orNull(value);
    }
    this.pending = entry;
    this.openField = 'message';
  }

  private fallbackLine(line: string): void {
    const match = this.fallback!.regex.exec(line);
    if (match) this.entryLine(line, match, this.fallback!);
    else this.continue(line);
  }

  // Bounded: a held line longer than any field it could fill is cut, and past HELD_LINES_MAX the
  // extra continuation lines are dropped (the field they would extend is capped anyway).
  private hold(line: string): void {
    if (this.held.length >= HELD_LINES_MAX && line.charCodeAt(0) === 9) return;
    this.held.push(line.length > HELD_LINE_CHARS ? line.slice(0, HELD_LINE_CHARS) : line);
  }

  /** The prefix changed: the held lines are read again with the severity label alone. */
  private engageFallback(): void {
    this.fallback = fallbackLinePattern();
    const held = this.held;
    this.held = [];
    for (const line of held) {
      if (line.charCodeAt(0) === 9) this.continue(line.slice(1));
      else this.fallbackLine(line);
    }
  }

  /** The prefix matched again: the held lines were stray text of the entry before them. */
  private releaseHeld(): void {
    for (const line of this.held) this.continue(line.charCodeAt(0) === 9 ? line.slice(1) : line);
    this.held = [];
  }

  private continue(text: string): void {
    const field = this.openField;
    if (!this.pending || !field) return;
    const current = this.pending[field] ?? '';
    if (current.length < FIELD_CHARS) this.pending[field] = capField(`${current}\n${text}`);
  }

  private flush(): void {
    if (this.pending) this.sink(this.pending);
    this.pending = null;
    this.openField = null;
  }
}
