import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** What `npm start` prints when it prepares the service database at `databaseUrl`. */
async function prepare(databaseUrl: string) {
  try {
    await run('npx', ['tsx', 'scripts/prepare-database.ts'], { env: { ...process.env, DATABASE_URL: databaseUrl } });
    return { failed: false, stderr: '' };
  } catch (error) {
    return { failed: true, stderr: (error as { stderr: string }).stderr.trim() };
  }
}

describe('preparing the service database', () => {
  it('names the role and the fix when PostgreSQL refuses the role, in one line', async () => {
    const result = await prepare('postgres://no_such_role@127.0.0.1:5432/reviewer');
    expect(result.failed).toBe(true);
    expect(result.stderr).toBe(
      'PostgreSQL at 127.0.0.1:5432 refused role "no_such_role": set DATABASE_URL to a role that may log in ' +
        '(with its password), or add a pg_hba.conf rule for it.',
    );
  });

  it('says that nothing listens where DATABASE_URL points, in one line', async () => {
    const result = await prepare('postgres://postgres@127.0.0.1:1/reviewer');
    expect(result).toEqual({
      failed: true,
      stderr: 'PostgreSQL refused the connection at 127.0.0.1:1: start it, or point DATABASE_URL at a running server.',
    });
  });
});
