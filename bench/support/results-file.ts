import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const resultsPath = new URL('../results.json', import.meta.url).pathname;

export type Figures = Record<string, number | string | boolean | null>;

/**
 * Replaces one benchmark's figures in bench/results.json and keeps the others', so each benchmark
 * can run alone and `npm run bench` still leaves one file to compare with earlier runs. Keys are
 * flat and dotted (`tick.empty_ms_1k`), exactly as they are named in the issue.
 */
export function recordResults(section: string, figures: Figures): void {
  const previous: Figures = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};
  const kept = Object.entries(previous).filter(([key]) => !key.startsWith(`${section}.`));
  const fresh = Object.entries(figures).map(([key, value]) => [`${section}.${key}`, value] as const);
  const merged = Object.fromEntries([...kept, ...fresh].sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(resultsPath, `${JSON.stringify(merged, null, 2)}\n`);
}
