// Runs the @nori/wal benchmarks and writes <repo>/.bench-results/wal.json (format:
// docs/ARCHITECTURE.md, "Benchmarks"; method: docs/BENCHMARKS-METHOD.md).
// Usage: node --conditions=@nori/source --import tsx bench/run.ts [group ...]
//   groups: append batch cold-start concurrency get read recovery whole-process (default: all)
//   env: NORI_BENCH_QUICK=1 (smoke run), NORI_BENCH_RUNS, NORI_BENCH_READ_MIB, NORI_BENCH_GET_MIB
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appendBenchmarks } from './append.js';
import { batchBenchmarks } from './batch.js';
import { coldStartBenchmarks } from './cold-start.js';
import { concurrencyBenchmarks } from './concurrency.js';
import { getBenchmarks } from './get.js';
import type { BenchContext } from './lib/context.js';
import { pickTempLocation, repoRoot, resultsDir } from './lib/paths.js';
import type { BenchResult } from './lib/result.js';
import { readSettings } from './lib/settings.js';
import { readBenchmarks } from './read.js';
import { recoveryBenchmarks } from './recovery.js';
import { wholeProcessBenchmarks } from './whole-process.js';

const GROUPS: Record<string, (ctx: BenchContext) => Promise<BenchResult[]>> = {
  append: appendBenchmarks,
  batch: batchBenchmarks,
  'cold-start': coldStartBenchmarks,
  concurrency: concurrencyBenchmarks,
  get: getBenchmarks,
  read: readBenchmarks,
  recovery: recoveryBenchmarks,
  'whole-process': wholeProcessBenchmarks,
};

const requested = process.argv.slice(2);
const unknown = requested.filter((g) => !(g in GROUPS));
if (unknown.length > 0) {
  console.error(`unknown benchmark group(s): ${unknown.join(', ')}; known: ${Object.keys(GROUPS).join(', ')}`);
  process.exit(2);
}
const selected = requested.length > 0 ? requested : Object.keys(GROUPS);

/**
 * Set in the child that runs one group (see {@link runIsolated}): the file it writes its results to.
 * Each group runs in a fresh process: groups share no JIT state or heap (a read after the `get`
 * group ran at half speed in the same process: its 1 MiB chunk buffers trigger full GCs, whose cost
 * grows with whatever the earlier groups left on the heap).
 */
const GROUP_OUT_ENV = 'NORI_BENCH_GROUP_OUT';
const groupOut = process.env[GROUP_OUT_ENV];

const settings = readSettings();
const location = pickTempLocation();
const ctx: BenchContext = {
  settings,
  tempParent: location.parent,
  log: (line) => console.log(`  ${line}`),
};

if (groupOut === undefined)
  console.log(
    `@nori/wal bench: ${selected.join(', ')}; ${settings.runs} runs per figure${settings.quick ? ' (QUICK)' : ''}; ` +
      `logs in ${location.parent} (${location.filesystem}${location.sameFilesystemAsRepo ? ', same filesystem as the repo' : ''})`,
  );

/**
 * Runs `group` in a child process (same flags and environment); returns its results. Dirty pages
 * earlier groups left (the read group writes a 1 GiB log) are flushed first (`sync`), so their
 * writeback does not land in this group's timings: a crash-tail recovery took 35-92 ms after the
 * others ran, 26-38 ms alone.
 */
async function runIsolated(group: string): Promise<BenchResult[]> {
  spawnSync('sync', { stdio: 'ignore' });
  const file = join(mkdtempSync(join(tmpdir(), 'nori-bench-')), 'results.json');
  try {
    const code = await new Promise<number | null>((resolveExit, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), group], {
        stdio: 'inherit',
        env: { ...process.env, [GROUP_OUT_ENV]: file },
      });
      child.on('error', reject);
      child.on('exit', resolveExit);
    });
    if (code !== 0) throw new Error(`the ${group} group's process exited with ${String(code)}`);
    return JSON.parse(readFileSync(file, 'utf8')) as BenchResult[];
  } finally {
    rmSync(dirname(file), { recursive: true, force: true });
  }
}

const started = performance.now();
const results: BenchResult[] = [];
const errors: { group: string; message: string }[] = [];
for (const group of selected) {
  const groupStart = performance.now();
  if (groupOut === undefined) console.log(`[${group}]`);
  try {
    results.push(...(groupOut !== undefined ? await GROUPS[group]!(ctx) : await runIsolated(group)));
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    errors.push({ group, message: message.split('\n')[0]! });
    console.error(`[${group}] failed: ${message}`);
  }
  if (groupOut === undefined) console.log(`[${group}] ${((performance.now() - groupStart) / 1000).toFixed(1)} s`);
}

if (groupOut !== undefined) {
  writeFileSync(groupOut, JSON.stringify(results));
  process.exit(errors.length > 0 ? 1 : 0);
}

mkdirSync(resultsDir, { recursive: true });
const out = join(resultsDir, 'wal.json');
const document = {
  package: '@nori/wal',
  generatedAt: new Date().toISOString(),
  settings,
  environment: {
    tempDir: location.parent,
    filesystem: location.filesystem,
    sameFilesystemAsRepo: location.sameFilesystemAsRepo,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
  },
  results,
  errors,
};
writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
console.log(
  `wrote ${relative(repoRoot, out)}: ${results.length} results, ${errors.length} failed groups, ` + `${((performance.now() - started) / 1000).toFixed(1)} s`,
);
if (errors.length > 0) process.exitCode = 1;
