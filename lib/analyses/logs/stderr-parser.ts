import { buildLinePattern, fallbackLinePattern, type LinePattern, type PrefixField } from './line-prefix.js';
import {
  ATTACHED_LABELS,
  capField,
  emptyEntry,
  ENTRY_SEVERITIES,
  orNull,
  type EntrySink,
  type LogEntry,
} from './log-entry.js';
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

interface Label {
  /** The label as a constant string, so lookups by it (severity counts, known severities) hash no new copy. */
  text: string;
  /** The field an attached line fills (null: read and dropped); undefined for a severity, which starts an entry. */
  attached: TextField | null | undefined;
}

// Labels by length, first and last letter, which tell every label apart: finding one costs no
// string hashing, while a Map keyed by the captured text would hash a fresh copy at every line.
const shapeOf = (label: string) =>
  (label.length << 16) | (label.charCodeAt(0) << 8) | label.charCodeAt(label.length - 1);
const LABEL_BY_SHAPE = new Map<number, Label>();
for (const text of [...ENTRY_SEVERITIES, ...ATTACHED_LABELS]) {
  if (LABEL_BY_SHAPE.has(shapeOf(text))) throw new Error(`two log labels share a shape: ${text}`);
  LABEL_BY_SHAPE.set(shapeOf(text), { text, attached: ATTACHED_FIELD.get(text) });
}

function labelOf(captured: string): Label {
  const known = LABEL_BY_SHAPE.get(shapeOf(captured));
  return known && known.text === captured ? known : { text: captured, attached: ATTACHED_FIELD.get(captured) };
}

// The prefix fields as numbers, so an entry is filled with one switch of plain property stores.
const FIELD_CODE: Record<PrefixField, number> = {
  time: 0,
  user: 1,
  database: 2,
  host: 3,
  application: 4,
  sqlstate: 5,
  severity: 6,
  pid: 7,
};

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
  private readonly fieldCodes: number[];
  private fallbackCodes: number[] = [];
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
    this.fieldCodes = fieldCodesOf(this.pattern);
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
    const label = labelOf(match[pattern.labelGroup]);
    const text = capField(line.slice(match[0].length));
    const attached = label.attached;
    if (attached !== undefined) {
      this.openField = this.pending ? attached : null;
      if (this.pending && attached) this.pending[attached] = text;
      return;
    }
    this.flush();
    const entry = emptyEntry();
    entry.severity = label.text;
    entry.message = text;
    const codes = pattern === this.pattern ? this.fieldCodes : this.fallbackCodes;
    for (let i = 0; i < codes.length; i++) {
      const value = match[i + 1];
      if (value === undefined) continue;
      switch (codes[i]) {
        case 0:
          entry.time = orNull(value);
          break;
        case 1:
          entry.user = orNull(value);
          break;
        case 2:
          entry.database = orNull(value);
          break;
        case 3:
          entry.host = orNull(value);
          break;
        case 4:
          entry.application = orNull(value);
          break;
        case 5:
          entry.sqlstate = entry.sqlstate ?? orNull(value);
          break;
        case 7:
          entry.pid = orNull(value);
      }
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
    this.fallbackCodes = fieldCodesOf(this.fallback);
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

function fieldCodesOf(pattern: LinePattern): number[] {
  return pattern.fields.map((field) => FIELD_CODE[field]);
}
