/**
 * Cold start: every function in serverless.yml bundled as serverless-esbuild deploys it (the
 * options of custom.esbuild: bundle, minify, ESM, node20, libpg-query and @aws-sdk/* left
 * external, the createRequire banner, a source map beside it), then its size and the time to
 * import it in a fresh `node` process, with --enable-source-maps as the deployed functions run.
 * Reports the median of several imports per function and what takes the room in the bundles.
 *
 *   npx tsx bench/cold-start.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { heading, median, printTable, round } from './support/figures.js';
import { recordResults } from './support/results-file.js';

const IMPORTS = 5;
const GOAL_KB = 1024;
const GOAL_IMPORT_MS = 300;

const root = new URL('..', import.meta.url).pathname;

interface LambdaFunction {
  name: string;
  entry: string;
  exported: string;
}

/** Function names and handlers as serverless.yml declares them (`handler: functions/x/y.handler`). */
function declaredFunctions(): LambdaFunction[] {
  const yml = readFileSync(join(root, 'serverless.yml'), 'utf8');
  const found = [...yml.matchAll(/^ {2}(\w+):\n {4}handler: (\S+)\.(\w+)$/gm)].map(([, name, path, exported]) => ({
    name,
    entry: `${path}.ts`,
    exported,
  }));
  if (found.length === 0) throw new Error('no functions found in serverless.yml');
  return found;
}

async function bundle(
  fn: LambdaFunction,
  outdir: string,
): Promise<{ file: string; bytes: number; mapBytes: number; metafile: Metafile }> {
  const file = join(outdir, `${fn.name}.js`);
  const result = await build({
    entryPoints: [join(root, fn.entry)],
    outfile: file,
    bundle: true,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    target: 'node20',
    platform: 'node',
    format: 'esm',
    external: ['libpg-query', '@aws-sdk/*'],
    banner: {
      js:
        "import { createRequire as __createRequire } from 'module'; const require = " +
        '__createRequire(import.meta.url);',
    },
    metafile: true,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size, metafile: result.metafile };
}

/** Milliseconds from the start of `import()` to the handler being available, in a new process. */
function importMs(file: string, exported: string): number {
  const script =
    `const started = performance.now(); const m = await import(${JSON.stringify(file)}); if (typeof m[${JSON.stringify(exported)}] ` +
    `!== 'function') process.exit(3); process.stdout.write(String(performance.now() - started));`;
  const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(out);
}

/** Bytes in the output per package (or per project folder), largest first. */
function roomByPackage(metafile: Metafile): Array<[string, number]> {
  const room = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? `(project) ${input.split('/').slice(0, 2).join('/')}`;
      room.set(pkg, (room.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return [...room].sort((a, b) => b[1] - a[1]);
}

const outdir = mkdtempSync(join(tmpdir(), 'pgr-cold-start-'));
// The bundles import their externals (libpg-query, the AWS SDK) by name: let them resolve to the project's.
symlinkSync(join(root, 'node_modules'), join(outdir, 'node_modules'));

try {
  const functions = declaredFunctions();
  const rows: Array<Array<string | number>> = [['function', 'bundle KB', 'map KB', 'import ms (median)', 'min', 'max']];
  let largest = { name: '', bytes: 0, metafile: undefined as Metafile | undefined };
  let maxKb = 0;
  let maxImport = 0;
  for (const fn of functions) {
    const built = await bundle(fn, outdir);
    importMs(built.file, fn.exported); // the first import also warms the OS file cache for the externals
    const imports = Array.from({ length: IMPORTS }, () => importMs(built.file, fn.exported));
    const ms = median(imports);
    rows.push([fn.name, built.bytes / 1024, built.mapBytes / 1024, ms, Math.min(...imports), Math.max(...imports)]);
    maxKb = Math.max(maxKb, built.bytes / 1024);
    maxImport = Math.max(maxImport, ms);
    if (built.bytes > largest.bytes) largest = { name: fn.name, bytes: built.bytes, metafile: built.metafile };
  }

  heading(
    `Cold start: ${functions.length} functions bundled as deployed, imported in a fresh node (${IMPORTS} times ` +
      'each)',
  );
  printTable(rows);
  console.log(
    `\nlargest bundle ${round(maxKb)} KB (goal under ${GOAL_KB} KB: ${maxKb < GOAL_KB ? 'met' : 'MISSED'}); ` +
      `slowest import ${round(maxImport)} ms (goal under ${GOAL_IMPORT_MS} ms: ${maxImport < GOAL_IMPORT_MS ? 'met' : 'MISSED'})`,
  );
  heading(`What takes the room in the largest bundle (${largest.name})`);
  printTable([
    ['package', 'KB'],
    ...roomByPackage(largest.metafile!)
      .slice(0, 8)
      .map(([pkg, bytes]) => [pkg, bytes / 1024]),
  ]);

  recordResults('cold_start', {
    functions: functions.length,
    max_bundle_kb: round(maxKb),
    max_import_ms: round(maxImport),
    largest_function: largest.name,
    measured_at: new Date().toISOString(),
  });
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
