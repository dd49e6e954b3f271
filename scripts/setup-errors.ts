// Set-up failures a new user meets on the service database, each told as one sentence with its fix
// instead of a stack trace. Classified by SQLSTATE or network code, never by message text.
export function explainSetupError(error: unknown, databaseUrl: string): string | undefined {
  const url = new URL(databaseUrl);
  const where = `${url.hostname}:${url.port || 5432}`;
  const role = decodeURIComponent(url.username || 'postgres');
  const database = decodeURIComponent(url.pathname.slice(1));
  const code = (error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return `PostgreSQL refused the connection at ${where}: start it, or point DATABASE_URL at a running server.`;
    case 'ENOTFOUND':
      return `The host in DATABASE_URL (${url.hostname}) does not resolve: check its spelling.`;
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return `PostgreSQL at ${where} did not answer in time: check that it is up and that this machine may reach it.`;
    case '28P01':
    case '28000':
      return (
        `PostgreSQL at ${where} refused role "${role}": set DATABASE_URL to a role that may log in (with its ` +
        'password), or add a pg_hba.conf rule for it.'
      );
    case '3D000':
      return (
        `Database "${database}" does not exist at ${where} and could not be created: create it (createdb "${database}") ` +
        'or name an existing one in DATABASE_URL.'
      );
    case '42501':
      return (
        `Role "${role}" may not create database "${database}" or its tables: create the database owned by that ` +
        'role, or grant it CREATEDB.'
      );
    default:
      return undefined;
  }
}

/** Ends a set-up script with the one-sentence explanation when there is one, the error otherwise. */
export function exitWithSetupError(error: unknown, databaseUrl: string): never {
  const sentence = explainSetupError(error, databaseUrl);
  console.error(sentence ?? error);
  process.exit(1);
}
