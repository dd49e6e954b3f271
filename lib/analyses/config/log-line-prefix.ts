/**
 * What a log_line_prefix puts in front of every log line, as far as log analysis is concerned.
 * Escapes written after %q are emitted only by session processes, so background processes
 * (checkpointer, autovacuum, ...) log lines without them.
 */
export interface LogLinePrefixFacts {
  /** %t, %m or %n before any %q: every line carries a time stamp. */
  timestampOnEveryLine: boolean;
  /** %p or %c before any %q: lines of one session can be grouped. */
  processOnEveryLine: boolean;
  /** The session escapes PGDSAT 3.1.24 asks for that the prefix lacks: %d, %u, %a, %h. */
  missingSessionEscapes: string[];
}

const timestampEscapes = new Set(['t', 'm', 'n']);
const processEscapes = new Set(['p', 'c']);
const sessionEscapes = ['d', 'u', 'a', 'h'];

export function parseLogLinePrefix(prefix: string): LogLinePrefixFacts {
  let afterQ = false;
  let timestampOnEveryLine = false;
  let processOnEveryLine = false;
  const seen = new Set<string>();
  // An escape is % followed by an optional padding width (e.g. %-10u) and one letter; %% is a literal.
  for (const match of prefix.matchAll(/%(-?\d*)([a-zA-Z%])/g)) {
    const letter = match[2];
    if (letter === '%') continue;
    if (letter === 'q') {
      afterQ = true;
      continue;
    }
    seen.add(letter);
    if (!afterQ && timestampEscapes.has(letter)) timestampOnEveryLine = true;
    if (!afterQ && processEscapes.has(letter)) processOnEveryLine = true;
  }
  return {
    timestampOnEveryLine,
    processOnEveryLine,
    missingSessionEscapes: sessionEscapes.filter((e) => !seen.has(e)).map((e) => `%${e}`),
  };
}

/**
 * log_line_prefix is only written to stderr (and eventlog) output; csvlog and jsonlog carry their own fields, syslog
 * adds time and pid itself.
 */
export function logsToStderr(logDestination: string): boolean {
  return logDestination
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .includes('stderr');
}
