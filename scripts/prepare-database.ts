import postgres from 'postgres';
import { execFileSync } from 'node:child_process';
import { env } from '../lib/env.js';
import { exitWithSetupError } from './setup-errors.js';

// Creates the service's own database when missing (default "reviewer"), then applies migrations.
const databaseUrl = env().DATABASE_URL;
const target = new URL(databaseUrl);
const name = decodeURIComponent(target.pathname.slice(1));
const maintenance = new URL(target);
maintenance.pathname = '/postgres';
const admin = postgres(maintenance.toString(), { max: 1, onnotice: () => {}, connect_timeout: 10 });
try {
  const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
  if (!exists) {
    await admin.unsafe(`create database "${name.replace(/"/g, '""')}"`);
    console.log(`Created database "${name}"`);
  }
} catch (error) {
  exitWithSetupError(error, databaseUrl);
} finally {
  await admin.end();
}
try {
  execFileSync('npx', ['tsx', 'scripts/migrate.ts'], { stdio: 'inherit' });
} catch {
  process.exit(1); // migrate.ts has said why
}
console.log(`Database "${name}" is migrated`);
