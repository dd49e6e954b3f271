import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import postgres from 'postgres';
import { isUnreachable, sqlState } from '../../db/errors.js';

export const sslModes = ['disable', 'prefer', 'require', 'verify-full'] as const;
export type SslMode = (typeof sslModes)[number];

export interface TargetOptions {
  host: string;
  port: number;
  database: string;
  username: string;
  password?: string | null;
  sslmode: SslMode;
  /** PEM certificates the server's certificate must chain to under verify-full; Node's default CAs otherwise. */
  sslRootCert?: string | null;
  /** Applied per statement on the server; query_timeout of the task, in seconds. */
  statementTimeoutSeconds: number;
}

/**
 * libpq's meanings, with one difference: `prefer` falls back to a plain connection only when there is no
 * password to send, so a password never crosses an unencrypted connection unless `disable` was chosen.
 * verify-full checks the certificate's chain (against sslRootCert when given) and that it names the host,
 * an IP address included (Node would otherwise compare an IP host with "localhost").
 */
function sslOption(options: TargetOptions): false | 'prefer' | 'require' | ConnectionOptions {
  switch (options.sslmode) {
    case 'disable':
      return false;
    case 'prefer':
      return options.password ? 'require' : 'prefer';
    case 'require':
      return 'require';
    case 'verify-full':
      return {
        rejectUnauthorized: true,
        ca: options.sslRootCert ?? undefined,
        servername: isIP(options.host) ? undefined : options.host,
        checkServerIdentity: (_servername, certificate) => checkServerIdentity(options.host, certificate),
      };
  }
}

/**
 * One connection to a reviewed database. Read-only is enforced by the server
 * (default_transaction_read_only), not by trusting our own SQL; the statement timeout
 * bounds every query; application_name lets the DBA see and filter us in pg_stat_activity.
 */
export function openTarget(options: TargetOptions): postgres.Sql {
  return postgres({
    host: options.host,
    port: options.port,
    database: options.database,
    username: options.username,
    password: options.password ?? undefined,
    ssl: sslOption(options),
    max: 1,
    connect_timeout: 10,
    idle_timeout: 5,
    prepare: false,
    onnotice: () => {},
    connection: {
      application_name: 'pg-reviewer',
      statement_timeout: options.statementTimeoutSeconds * 1000,
      lock_timeout: 5000,
      idle_in_transaction_session_timeout: options.statementTimeoutSeconds * 1000 + 5000,
      default_transaction_read_only: true,
      // The server must read a custom_sql statement exactly as our checker's PostgreSQL parser did.
      standard_conforming_strings: 'on',
    },
  });
}

/** A connection error means the review cannot happen at all; anything else is one check's problem. */
export function isConnectionError(error: unknown): boolean {
  if (isUnreachable(error)) return true;
  const code = sqlState(error) ?? '';
  return (
    code.startsWith('08') || // connection_exception class
    code.startsWith('28') || // invalid_authorization_specification (bad password, no pg_hba entry)
    code === '3D000' || // database does not exist
    code === '57P01' || // admin_shutdown: our backend was terminated
    code === '57P03'
  );
}

/**
 * A readable reason for a failed review or connection test: the server's message with its
 * SQLSTATE, or what went wrong on the network. Never includes the password (postgres.js errors
 * carry host and port only).
 */
export function describeTargetError(error: unknown): string {
  const e = error as { message?: string; code?: string; address?: string; port?: number };
  const message = e?.message ?? String(error);
  const code = e?.code ?? '';
  if (/^[0-9A-Z]{5}$/.test(code)) return `${message} (SQLSTATE ${code})`;
  // Node gives a closed TLS handshake no code of its own; the usual cause is a server with ssl = off.
  if (code === 'ECONNRESET' && /before secure TLS connection was established/.test(message)) {
    return (
      'The target database closed the connection instead of starting TLS: the server may not accept encrypted ' +
      'connections (ssl = off). Turn ssl on there, or choose sslmode disable for this connection if the ' +
      'network path is trusted (ECONNRESET)'
    );
  }
  if (code === 'ECONNREFUSED')
    return (
      `Could not connect to the target database: connection refused${e.address ? ` at ${e.address}:${e.port}` : ''} ` +
      '(ECONNREFUSED)'
    );
  if (['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'ECONNRESET'].includes(code)) {
    return (
      'The connection to the target database was closed during the review (terminated by the server, or the ' +
      `network failed) (${code})`
    );
  }
  if (code) return `Could not connect to the target database: ${message} (${code})`;
  return message;
}
