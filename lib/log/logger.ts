import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { env } from '../env.js';

type Fields = Record<string, unknown>;

// Powertools writes one JSON line per event with the level, time, function name, Lambda request id,
// cold-start flag and X-Ray trace id, which is what CloudWatch Logs Insights queries by.
// Callers pass facts, never secrets: connection passwords are not in any object that reaches here.
export const logger = new Logger({ serviceName: 'pg-reviewer' });

// The level is read at the first line rather than at import, so the configuration is read once it is complete.
// It is set again whenever it differs: at every warm invocation Powertools puts back the level it read at
// start-up (its debug sampling's refresh), which is INFO for our lower-case LOG_LEVEL values.
let level: ReturnType<typeof configuredLevel> | undefined;
function configured(): Logger {
  level ??= configuredLevel();
  if (logger.getLevelName() !== level) logger.setLogLevel(level);
  return logger;
}

// Logging must work even when the configuration does not parse: that is exactly when it is needed.
function configuredLevel(): 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' {
  try {
    return env().LOG_LEVEL.toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  } catch {
    return 'INFO';
  }
}

export const log = {
  debug: (message: string, fields: Fields = {}) => configured().debug(message, fields),
  info: (message: string, fields: Fields = {}) => configured().info(message, fields),
  warn: (message: string, fields: Fields = {}) => configured().warn(message, fields),
  error: (message: string, fields: Fields = {}) => configured().error(message, fields),
};

/** Adds the Lambda context to every line of an invocation, and forgets per-invocation keys after it. */
export const logContext = () => injectLambdaContext(logger, { resetKeys: true });

/** The tick and the consumer are not HTTP endpoints, but their lines carry the same context. */
export function withLogContext<E, C, R>(handler: (event: E, context?: C) => Promise<R>) {
  const wrapped = middy<E, R, Error, C | undefined>(handler).use(logContext());
  // Tests and the local Lambda endpoint may call without a Lambda context.
  return (event: E, context?: C): Promise<R> => wrapped(event, context);
}
