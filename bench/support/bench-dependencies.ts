import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const benchFolder = new URL('..', import.meta.url).pathname;

/**
 * graphile-worker is a dependency of the benchmark only (bench/package.json), so the service's
 * own install never carries it; installed here exactly as bench/package-lock.json pins it.
 */
export function ensureBenchDependencies(): void {
  const installed = `${benchFolder}node_modules/.package-lock.json`;
  const lock = `${benchFolder}package-lock.json`;
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('Installing the benchmark dependencies (npm ci in bench/)...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: benchFolder, stdio: 'inherit' });
}
