import type { Finding } from '../types.js';
import type { BoundedTally } from './bounded-tally.js';
import { breakdownText, occurrenceEvidence, times, whenText } from './finding-text.js';
import { capList } from '../finding-list.js';
import type { ConnectionFailureTally } from './log-aggregate.js';
import type { LogSettings } from './log-settings.js';
import { logCheck, type LogCheck, type LogScan } from './scan-log.js';
import { AUTH_FAILURES_WARNING } from './thresholds.js';

interface FailureSpec {
  check: string;
  tally: (scan: LogScan) => BoundedTally<ConnectionFailureTally>;
  title: (t: ConnectionFailureTally, who: string) => string;
  recommendation: (t: ConnectionFailureTally, settings: LogSettings) => string;
}

/**
 * One finding per user@host (the role alone when the log does not say the host), so the same
 * source failing again is the same finding next run. Passwords never appear in these messages;
 * only the role, the host and the server's reason are kept.
 */
function connectionFailureCheck(spec: FailureSpec): LogCheck {
  return logCheck(spec.check, ['security'], (scan) => {
    const tally = spec.tally(scan);
    const { shown, notShown } = capList(tally.top());
    return shown.map(([, t]): Finding => {
      const who = t.host ? `${t.user ?? '?'}@${t.host}` : (t.user ?? '?');
      const reasons = Object.keys(t.reasons).length > 0 ? ` Server's reason: ${breakdownText(t.reasons)}.` : '';
      return {
        check: spec.check,
        // CIS/STIG via PGDSAT: every unsuccessful logon is an audit event.
        severity: t.count >= AUTH_FAILURES_WARNING ? 'warning' : 'info',
        object: who,
        title: spec.title(t, who),
        detail: `Refused ${times(t.count)}${whenText(t)}: ${breakdownText(t.kinds)}.${reasons}${t.host ? '' : ' The log does not record client hosts.'}`,
        recommendation: spec.recommendation(t, scan.settings),
        evidence: {
          ...occurrenceEvidence(t),
          user: t.user,
          host: t.host,
          kinds: t.kinds,
          reasons: t.reasons,
          others_not_shown: notShown + tally.evictedKeys,
        },
      };
    });
  });
}

const hostAdvice = (t: ConnectionFailureTally, settings: LogSettings) =>
  !t.host && settings.format === 'stderr'
    ? ` Add %h to log_line_prefix (ALTER SYSTEM SET log_line_prefix = '${settings.logLinePrefix.replace(/'/g, "''").replace(/\s*$/, '')} ` +
      `%h '; SELECT pg_reload_conf();) to see where attempts come from.`
    : '';

export const authFailuresCheck = connectionFailureCheck({
  check: 'logs.auth_failures',
  tally: (scan) => scan.aggregate.authFailures,
  title: (t, who) => `Authentication failed ${times(t.count)} for ${who}`,
  recommendation: (t, settings) =>
    'If these attempts are not a known client with a stale password, block the source in pg_hba.conf and ' +
    `rotate the role's password.${hostAdvice(t, settings)}`,
});

export const rejectedConnectionsCheck = connectionFailureCheck({
  check: 'logs.rejected_connections',
  tally: (scan) => scan.aggregate.rejectedConnections,
  title: (t, who) => `Connection refused ${times(t.count)} for ${who}`,
  recommendation: (t, settings) =>
    'Connections for unknown roles or databases, or from hosts pg_hba.conf does not allow, are probes or ' +
    `misconfigured clients: find the client and fix or block it.${hostAdvice(t, settings)}`,
});
