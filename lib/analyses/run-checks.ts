import { sqlState } from '../../db/errors.js';
import { isConnectionError } from '../target/open-target.js';
import { NotAssessableError, type Check, type CheckContext, type Finding, type NotAssessable } from './types.js';
import { quoteIdent } from './format.js';

export interface ChecksOutcome {
  findings: Finding[];
  notAssessable: NotAssessable[];
}

/**
 * Run checks one after another on the single connection. A check that fails is reported
 * as not assessable with its reason; only losing the connection stops the review.
 */
export async function runChecks(checks: Check[], ctx: CheckContext): Promise<ChecksOutcome> {
  const outcome: ChecksOutcome = { findings: [], notAssessable: [] };
  for (const check of checks) {
    try {
      outcome.findings.push(...(await check.run(ctx)));
    } catch (error) {
      if (isConnectionError(error)) throw error;
      addNotAssessable(outcome.notAssessable, notAssessableFrom(check.id, error, ctx.server.current_user));
    }
  }
  return outcome;
}

/** Checks that fail for one reason (say, no access to the log) are one entry, not one per check. */
function addNotAssessable(entries: NotAssessable[], entry: NotAssessable): void {
  const same = entries.find((e) => e.reason === entry.reason && e.enable === entry.enable && e.error === entry.error);
  if (!same) {
    entries.push(entry);
    return;
  }
  same.checks = [...(same.checks ?? [same.check]), entry.check];
}

export function notAssessableFrom(checkId: string, error: unknown, role: string): NotAssessable {
  if (error instanceof NotAssessableError) return { check: checkId, reason: error.message, enable: error.enable };
  const message = error instanceof Error ? error.message : String(error);
  switch (sqlState(error)) {
    case '42501':
      return {
        check: checkId,
        reason: 'Permission denied for the reviewing role',
        enable: `GRANT pg_monitor TO ${quoteIdent(role)};`,
        error: message,
      };
    case '57014':
      return {
        check: checkId,
        reason: 'The check hit the statement timeout (query_timeout)',
        enable: 'Raise task_params.query_timeout',
        error: message,
      };
    case '42883':
    case '42P01':
      return {
        check: checkId,
        reason: 'A function or view this check needs is missing on this server',
        enable: null,
        error: message,
      };
    default:
      return { check: checkId, reason: 'The check failed on this server', enable: null, error: message };
  }
}
