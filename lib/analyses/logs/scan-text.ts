import { LogAggregate } from './log-aggregate.js';
import { createParser } from './log-format.js';
import type { LogSettings } from './log-settings.js';
import type { LogScan } from './scan-log.js';

const SAMPLE_SETTINGS: LogSettings = {
  format: 'stderr',
  logDirectory: 'log',
  logLinePrefix: '%m [%p] %q%u@%d ',
  lcMessages: 'C',
  serverEncoding: 'UTF8',
  maxWalSizeMb: 1024,
  logMinDurationStatementMs: 100,
  canReadText: true,
  canReadBinary: true,
};

/**
 * The scan of log text that is already in memory, fed chunk by chunk exactly as the SQL reader
 * feeds it: runs the log checks on a sample without a server (the checks' unit tests).
 */
export function scanLogText(chunks: Iterable<string>, settings: Partial<LogSettings> = {}): LogScan {
  const full: LogSettings = { ...SAMPLE_SETTINGS, ...settings };
  const aggregate = new LogAggregate();
  const parser = createParser(full.format, full.logLinePrefix, (entry) => aggregate.add(entry), false);
  let bytesRead = 0;
  for (const chunk of chunks) {
    bytesRead += Buffer.byteLength(chunk);
    parser.push(chunk);
  }
  parser.finish();
  aggregate.finish();
  return {
    settings: full,
    aggregate,
    coverage: {
      firstRun: true,
      files: [],
      bytesRead,
      unreadableBytes: 0,
      bytesLeft: 0,
      stoppedBy: null,
      restartedFiles: [],
    },
  };
}
