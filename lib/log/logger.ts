import { env } from '../env.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

// One JSON line per event so CloudWatch (or any collector) can filter by field.
// Callers pass facts, never secrets: connection passwords are not in any object that reaches here.
function write(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (order[level] < order[configuredLevel()]) return;
  const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...fields });
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
}

// Logging must work even when the configuration does not parse: that is exactly when it is needed.
function configuredLevel(): Level | 'silent' {
  try {
    return env().LOG_LEVEL;
  } catch {
    return 'info';
  }
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
