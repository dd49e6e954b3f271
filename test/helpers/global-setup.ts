import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { execFileSync } from 'node:child_process';
import { startRedisRestServer } from '../../scripts/redis-rest/server.js';

export const TEMPLATE_DATABASE = 'pgr_test_template';
const adminUrl = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    redisRestUrl: string;
    redisRestToken: string;
    adminUrl: string;
  }
}

/**
 * Once per run: a migrated template database that every test file clones (fast and isolated),
 * and one REST endpoint in front of the machine's Redis (test files use their own queue keys).
 */
export default async function setup(project: TestProject) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const leftovers = await admin<{ datname: string }[]>`select datname from pg_database where datname like 'pgr_t_%' or datname = ${TEMPLATE_DATABASE}`;
  for (const { datname } of leftovers) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  await admin.unsafe(`create database "${TEMPLATE_DATABASE}"`);
  await admin.end();

  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE_DATABASE}`;
  execFileSync('npx', ['tsx', 'scripts/migrate.ts'], { env: { ...process.env, DATABASE_URL: templateUrl.toString() }, stdio: 'inherit' });

  // Some tests point connections at the dedicated target cluster (md5 auth for non-postgres roles).
  execFileSync('bash', ['scripts/target-cluster.sh', 'start'], { stdio: 'inherit' });

  const token = 'test-token';
  const rest = await startRedisRestServer({ port: 0, token });
  project.provide('redisRestUrl', rest.url);
  project.provide('redisRestToken', token);
  project.provide('adminUrl', adminUrl);
  return async () => {
    await rest.close();
  };
}
