import { FIELD_CHARS } from './thresholds.js';

/** One server log message with the lines that belong to it, whatever the file format. */
export interface LogEntry {
  /** As written by the server (log_timezone applies); null when the format does not carry it. */
  time: string | null;
  severity: string;
  sqlstate: string | null;
  message: string;
  detail: string | null;
  hint: string | null;
  context: string | null;
  statement: string | null;
  user: string | null;
  database: string | null;
  host: string | null;
  application: string | null;
  /** The server process that wrote the entry: ties a session's lines together (connection, temp file, statement). */
  pid: string | null;
}

export type EntrySink = (entry: LogEntry) => void;

/** Severities that start an entry in a stderr log. */
export const ENTRY_SEVERITIES = [
  'DEBUG1',
  'DEBUG2',
  'DEBUG3',
  'DEBUG4',
  'DEBUG5',
  'LOG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'FATAL',
  'PANIC',
] as const;

/** Labels of the extra lines the server writes after a message, with the same prefix. */
export const ATTACHED_LABELS = ['DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'STATEMENT', 'LOCATION'] as const;

export function emptyEntry(): LogEntry {
  return {
    time: null,
    severity: 'LOG',
    sqlstate: null,
    message: '',
    detail: null,
    hint: null,
    context: null,
    statement: null,
    user: null,
    database: null,
    host: null,
    application: null,
    pid: null,
  };
}

/** Entry text is bounded so one huge logged statement cannot grow memory. */
export function capField(text: string): string {
  return text.length > FIELD_CHARS ? text.slice(0, FIELD_CHARS) : text;
}

/** Empty strings in csv/json/prefix fields mean "not known". */
export function orNull(value: string | undefined | null): string | null {
  return value === undefined || value === null || value === '' || value === '[unknown]' ? null : value;
}

/**
 * A copy of a string that no longer keeps alive the chunk it was sliced from. V8 represents a
 * slice of a long string as a view on it, so storing a 20-byte slice would pin a 4 MB chunk;
 * everything kept beyond one entry (tally keys, times, samples) goes through here.
 */
export function detach<T extends string | null>(text: T): T {
  return (text === null || text.length < 13 ? text : ` ${text}`.slice(1)) as T;
}
