import type { ConnectionRow } from '../../db/schema/index.js';
import type { SslMode, TargetOptions } from './open-target.js';
import { decryptSecret } from '../crypto/secret-box.js';

export function targetOptionsFor(connection: ConnectionRow, statementTimeoutSeconds: number): TargetOptions {
  return {
    host: connection.host,
    port: connection.port,
    database: connection.database,
    username: connection.username,
    password: connection.passwordEncrypted ? decryptSecret(connection.passwordEncrypted) : null,
    sslmode: connection.sslmode as SslMode,
    sslRootCert: connection.sslRootCert,
    statementTimeoutSeconds,
  };
}
