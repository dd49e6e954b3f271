import postgres from 'postgres';
import { execFileSync } from 'node:child_process';
import { env } from '../lib/env.js';

// Creates the service's own database when missing (default "reviewer"), then applies migrations.
const target = new URL(env().DATABASE_URL);
const name = decodeURIComponent(target.pathname.slice(1));
const maintenance = new URL(target);
maintenance.pathname = '/postgres';
const admin = postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
try {
  const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
  if (!exists) {
    await admin.unsafe(`create database "${name.replace(/"/g, '""')}"`);
    console.log(`Created database "${name}"`);
  }
} finally {
  await admin.end();
}
execFileSync('npx', ['tsx', 'scripts/migrate.ts'], { stdio: 'inherit' });
console.log(`Database "${name}" is migrated`);
