import { round } from '../format.js';
import { capList } from '../finding-list.js';
import type { Finding } from '../types.js';
import type { BoundedTally } from './bounded-tally.js';
import { breakdownText, occurrenceEvidence, whenText } from './finding-text.js';
import type { LoginAttempts } from './log-aggregate.js';
import { logCheck, type LogCheck } from './scan-log.js';
import { SESSION_HISTOGRAM_LABELS, type ConnectionBreakdown } from './sessions.js';
import { BRUTE_FORCE_FAILURES, SHORT_SESSION_MS, SHORT_SESSIONS_MIN } from './thresholds.js';

const TOP_BREAKDOWN = 10;

function breakdownRows(map: Map<string, ConnectionBreakdown>): Array<Record<string, unknown>> {
  return [...map]
    .sort((a, b) => b[1].connections + b[1].sessions.sessions - (a[1].connections + a[1].sessions.sessions))
    .slice(0, TOP_BREAKDOWN)
    .map(([name, b]) => ({
      name,
      connections: b.connections,
      sessions: b.sessions.sessions,
      mean_session_ms: b.sessions.sessions > 0 ? Math.round(b.sessions.totalMs / b.sessions.sessions) : null,
      max_session_ms: Math.round(b.sessions.maxMs),
    }));
}

/**
 * pgBadger's "Connections" and "Sessions" pages as one finding: connections per database, user and
 * host (log_connections) and sessions with their lengths (log_disconnections). A warning when
 * sessions are short on average over many of them: the connection set-up is then a large share of
 * their work, which a pooler removes.
 */
export const connectionsCheck = logCheck('logs.connections', ['logs'], ({ aggregate }) => {
  const s = aggregate.sessions;
  if (s.received + s.authorized + s.all.sessions === 0) return [];
  const meanMs = s.all.sessions > 0 ? s.all.totalMs / s.all.sessions : null;
  const short = meanMs !== null && s.all.sessions >= SHORT_SESSIONS_MIN && meanMs < SHORT_SESSION_MS;
  return [
    {
      check: 'logs.connections',
      severity: short ? 'warning' : 'info',
      object: 'connections',
      title: `${s.authorized} connection(s) authorized, ${s.all.sessions} session(s) ended${meanMs !== null ? `, ${formatDuration(meanMs)} on average` : ''}`,
      detail:
        `${s.received} connection(s) received. By database: ${busiest(s.byDatabase)}. By user: ${busiest(s.byUser)}. ` +
        `By host: ${busiest(s.byHost)}.` +
        (s.all.sessions > 0 ? ` Longest session ${formatDuration(s.all.maxMs)}.` : '') +
        (short
          ? ` Sessions last under ${SHORT_SESSION_MS / 1000} s on average over ${s.all.sessions} sessions: ` +
            'each pays a process start and an authentication, a large share of its life.'
          : ''),
      recommendation: short
        ? "Put a connection pooler (PgBouncer in transaction mode, or the driver's own pool) between the " +
          'clients and the server.'
        : null,
      evidence: {
        value: s.authorized,
        connections_received: s.received,
        connections_authorized: s.authorized,
        sessions: s.all.sessions,
        mean_session_ms: meanMs === null ? null : Math.round(meanMs),
        max_session_ms: Math.round(s.all.maxMs),
        session_histogram: Object.fromEntries(SESSION_HISTOGRAM_LABELS.map((label, i) => [label, s.histogram[i]])),
        by_database: breakdownRows(s.byDatabase),
        by_user: breakdownRows(s.byUser),
        by_host: breakdownRows(s.byHost),
      },
    },
  ];
});

/** "shop (120), billing (3)": the five busiest names by connections (sessions when connections are not logged). */
function busiest(map: Map<string, ConnectionBreakdown>): string {
  const counts = [...map].map(([name, b]): [string, number] => [name || '?', b.connections || b.sessions.sessions]);
  const text = counts
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, n]) => `${name} (${n})`)
    .join(', ');
  return text || 'not logged';
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${round(ms / 1000, 1)} s`;
  if (ms < 7_200_000) return `${round(ms / 60_000, 1)} min`;
  return `${round(ms / 3_600_000, 1)} h`;
}

interface BruteForceSpec {
  check: string;
  tally: (a: {
    loginFailuresByHost: BoundedTally<LoginAttempts>;
    loginFailuresByUser: BoundedTally<LoginAttempts>;
  }) => BoundedTally<LoginAttempts>;
  object: (key: string) => string;
  title: (t: LoginAttempts, key: string) => string;
  spread: (t: LoginAttempts) => string;
}

function bruteForceCheck(spec: BruteForceSpec): LogCheck {
  return logCheck(spec.check, ['security'], ({ aggregate }) => {
    const tally = spec.tally(aggregate);
    const ranked = tally.top().filter(([key, t]) => key !== '' && t.count >= BRUTE_FORCE_FAILURES);
    const { shown, notShown } = capList(ranked);
    return shown.map(([key, t]): Finding => ({
      check: spec.check,
      severity: 'critical',
      object: spec.object(key),
      title: spec.title(t, key),
      detail:
        `${t.count} failed logins${whenText(t)}: ${spec.spread(t)}. ${BRUTE_FORCE_FAILURES} or more failures ` +
        `is what fail2ban's default bans a source for: this looks like password guessing, not a client with a ` +
        'stale password.',
      recommendation:
        'Block the source now (a pg_hba.conf reject line or a firewall rule), make sure the roles tried have ' +
        "strong scram-sha-256 passwords or none, and consider fail2ban's postgresql filter or auth_delay.",
      evidence: {
        ...occurrenceEvidence(t),
        users: t.users,
        hosts: t.hosts,
        others_not_shown: notShown + tally.evictedKeys,
      },
    }));
  });
}

/**
 * Many failed logins from one client host, whatever the roles tried (the host is taken from the
 * process's connection line when the prefix has no %h).
 */
export const bruteForceByHostCheck = bruteForceCheck({
  check: 'logs.brute_force_host',
  tally: (a) => a.loginFailuresByHost,
  object: (host) => `host:${host}`,
  title: (t, host) => `${t.count} failed logins from ${host} for ${Object.keys(t.users).length} role(s)`,
  spread: (t) => `roles tried ${breakdownText(t.users)}`,
});

/** Many failed logins for one role, whatever the hosts they came from. */
export const bruteForceByUserCheck = bruteForceCheck({
  check: 'logs.brute_force_user',
  tally: (a) => a.loginFailuresByUser,
  object: (user) => `role:${user}`,
  title: (t, user) =>
    `${t.count} failed logins for role ${user} from ${Object.keys(t.hosts).length || 'unknown'} host(s)`,
  spread: (t) => (Object.keys(t.hosts).length ? `from ${breakdownText(t.hosts)}` : 'the log does not say from where'),
});
