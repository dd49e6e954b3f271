import { CsvLogParser } from './csv-parser.js';
import { JsonLogParser } from './json-parser.js';
import type { EntrySink } from './log-entry.js';
import { StderrLogParser } from './stderr-parser.js';

export type LogFormat = 'stderr' | 'csvlog' | 'jsonlog';

/** What the reader needs from any format's parser. */
export interface LogParser {
  push(text: string): void;
  /** Ends the file; returns how many bytes at its end were not consumed (an unfinished entry). */
  finish(): number;
}

export function createParser(
  format: LogFormat,
  logLinePrefix: string,
  sink: EntrySink,
  startsMidFile: boolean,
): LogParser {
  if (format === 'csvlog') {
    const csv = new CsvLogParser(sink, startsMidFile);
    return { push: (text) => csv.push(text), finish: () => csv.end() };
  }
  const lines =
    format === 'jsonlog'
      ? new JsonLogParser(sink, startsMidFile)
      : new StderrLogParser(logLinePrefix, sink, startsMidFile);
  return { push: (text) => lines.push(text), finish: () => Buffer.byteLength(lines.end()) };
}

/**
 * The file format of a log file. The logging collector names csvlog files .csv and jsonlog files
 * .json (replacing a .log suffix); everything else it writes is stderr. Compressed archives are skipped.
 */
export function formatOfFile(name: string): LogFormat | null {
  if (/\.(gz|bz2|xz|zst|zip|lz4)$/i.test(name)) return null;
  if (name.endsWith('.csv')) return 'csvlog';
  if (name.endsWith('.json')) return 'jsonlog';
  return 'stderr';
}

/**
 * The format to read when log_destination writes several: each destination gets the same messages,
 * so reading more than one would count everything twice. Structured formats carry SQLSTATE and
 * client fields whatever log_line_prefix says, so they win.
 */
export function chooseFormat(logDestination: string): LogFormat | null {
  const destinations = logDestination.split(',').map((d) => d.trim().toLowerCase());
  if (destinations.includes('jsonlog')) return 'jsonlog';
  if (destinations.includes('csvlog')) return 'csvlog';
  if (destinations.includes('stderr')) return 'stderr';
  return null;
}
