import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { execFileSync } from 'node:child_process';
import { startRedisRestServer } from '../../scripts/redis-rest/server.js';

// Databases are named after the run that made them, so two test runs on one server (a developer's
// and CI's) never drop each other's; runs older than STALE_AFTER_MS left by a killed run are removed.
const RUN_ID = Date.now().toString(36);
const STALE_AFTER_MS = 3 * 3600_000;
const TEMPLATE_DATABASE = `pgr_tpl_${RUN_ID}`;
const adminUrl = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    redisRestUrl: string;
    redisRestToken: string;
    adminUrl: string;
    templateDatabase: string;
    runId: string;
  }
}

/**
 * Once per run: a migrated template database that every test file clones (fast and isolated),
 * and one REST endpoint in front of the machine's Redis (test files use their own queue keys).
 */
export default async function setup(project: TestProject) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const leftovers = await admin<
    { datname: string }[]
  >`select datname from pg_database where datname ~ '^pgr_(tpl|t)_[0-9a-z]+'`;
  for (const { datname } of leftovers) {
    const createdAt = parseInt(datname.split('_')[2], 36);
    if (Date.now() - createdAt > STALE_AFTER_MS)
      await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  }
  await admin.unsafe(`create database "${TEMPLATE_DATABASE}"`);
  await admin.end();

  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  execFileSync('npx', ['tsx', 'scripts/migrate.ts'], {
    env: { ...process.env, DATABASE_URL: templateUrl.toString() },
    stdio: 'inherit',
  });

  // Some tests point connections at the dedicated target cluster (md5 auth for non-postgres roles).
  execFileSync('bash', ['scripts/target-cluster.sh', 'start'], { stdio: 'inherit' });

  const token = 'test-token';
  const rest = await startRedisRestServer({ port: 0, token });
  project.provide('redisRestUrl', rest.url);
  project.provide('redisRestToken', token);
  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', TEMPLATE_DATABASE);
  project.provide('runId', RUN_ID);
  return async () => {
    await rest.close();
    const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
    const ours = await cleanup<
      { datname: string }[]
    >`select datname from pg_database where datname like ${`pgr_%_${RUN_ID}%`}`;
    for (const { datname } of ours) await cleanup.unsafe(`drop database if exists "${datname}" with (force)`);
    await cleanup.end();
  };
}
