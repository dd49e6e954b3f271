/**
 * `npm run bench`: the benchmarks, one after another, each in a process of
 * its own (as each also runs alone), then a summary of bench/results.json against the goals.
 * `npm run bench -- tick api` runs only those.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { heading, printTable } from './support/figures.js';
import { resultsPath } from './support/results-file.js';

const benchmarks = ['cold-start', 'tick', 'midnight', 'api', 'history', 'throughput', 'dashboard'];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : benchmarks;
const unknown = chosen.filter((name) => !benchmarks.includes(name));
if (unknown.length > 0)
  throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${benchmarks.join(', ')}`);

const failed: string[] = [];
for (const name of chosen) {
  const started = Date.now();
  console.log(`\n######## ${name}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', new URL(`${name}.ts`, import.meta.url).pathname], {
    stdio: 'inherit',
  });
  if (run.status !== 0) failed.push(name);
  console.log(
    `######## ${name}: ${run.status === 0 ? 'done' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} ` + 's',
  );
}

const results: Record<string, unknown> = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};
const figure = (key: string) => (key in results ? String(results[key]) : '-');
const goals: Array<[string, string]> = [
  ['tick.empty_ms_1k', ''],
  ['tick.empty_ms_100k', 'about the same as at 1k'],
  ['tick.due_10k_ms', 'under 2000'],
  ['tick.baseline_ms', ''],
  ['midnight.due_100k_ms', 'under 60000 (one tick)'],
  ['midnight.ms_per_1k_due_at_10k', ''],
  ['midnight.ms_per_1k_due_at_100k', 'about the same as at 10k'],
  ['midnight.max_rss_mb', ''],
  ['midnight.overlap_exactly_once', 'true'],
  ['midnight.cut_short_complete', 'true'],
  ['midnight.killed_waiting_for_lease', 'at most one batch (5000), never REQUEUE_AFTER'],
  ['throughput.per_s', ''],
  ['throughput.graphile_worker_per_s', ''],
  ['throughput.ratio', 'at least 0.5'],
  ['throughput.ratio_same_review', 'at least 0.95'],
  ['throughput.consumers_1.per_s', ''],
  ['throughput.consumers_2.per_s', ''],
  ['throughput.consumers_4.per_s', ''],
  ['throughput.pg_statements_per_execution', ''],
  ['throughput.redis_requests_per_execution', ''],
  ['throughput.latency_p50_ms', ''],
  ['throughput.latency_p99_ms', ''],
  ...['get_task', 'list_tasks', 'list_executions', 'stats'].flatMap((endpoint): Array<[string, string]> => [
    [`api.${endpoint}.p50_ms`, ''],
    [`api.${endpoint}.p99_ms`, 'under 20'],
  ]),
  ...['list', 'task_runs', 'failed', 'connection', 'stats'].map((name): [string, string] => [
    `history.${name}.p99_ms`,
    'under 20 (10,000,000 executions)',
  ]),
  ['history.dead_tuples_after_retention', ''],
  ['history.vacuum_s', ''],
  ['history.retention_longest_statement_ms', ''],
  ['api.list_tasks_after_change.p50_ms', ''],
  ['api.list_tasks_after_change.p99_ms', ''],
  ['dashboard.overview.p50_ms', 'under 200'],
  ['dashboard.overview.p95_ms', 'under 200'],
  ['dashboard.overview.p99_ms', ''],
  ['dashboard.overview.ratio_to_baseline', ''],
  ['dashboard.connection.p50_ms', ''],
  ['dashboard.findings.p50_ms', ''],
  ['dashboard.tasks.p50_ms', ''],
  ['cold_start.max_bundle_kb', 'under 1024'],
  ['cold_start.max_import_ms', 'under 300'],
];
heading(`Summary (${resultsPath})`);
printTable([['figure', 'value', 'goal'], ...goals.map(([key, goal]) => [key, figure(key), goal])]);
if (failed.length > 0) {
  console.error(`\nFailed: ${failed.join(', ')}`);
  process.exit(1);
}
