// Runs the @nori/wal benchmarks and writes <repo>/.bench-results/wal.json (format:
// docs/ARCHITECTURE.md, "Benchmarks"; method: docs/BENCHMARKS-METHOD.md).
// Usage: node --conditions=@nori/source --import tsx bench/run.ts [group ...]
//   groups: append batch cold-start concurrency get read recovery whole-process (default: all)
//   env: NORI_BENCH_QUICK=1 (smoke run), NORI_BENCH_RUNS, NORI_BENCH_READ_MIB, NORI_BENCH_GET_MIB
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, relative } from 'node:path';
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

const settings = readSettings();
const location = pickTempLocation();
const ctx: BenchContext = {
  settings,
  tempParent: location.parent,
  log: (line) => console.log(`  ${line}`),
};

console.log(
  `@nori/wal bench: ${selected.join(', ')}; ${settings.runs} runs per figure${settings.quick ? ' (QUICK)' : ''}; ` +
    `logs in ${location.parent} (${location.filesystem}${location.sameFilesystemAsRepo ? ', same filesystem as the repo' : ''})`,
);

const started = performance.now();
const results: BenchResult[] = [];
const errors: { group: string; message: string }[] = [];
for (const group of selected) {
  const groupStart = performance.now();
  console.log(`[${group}]`);
  try {
    results.push(...(await GROUPS[group]!(ctx)));
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    errors.push({ group, message: message.split('\n')[0]! });
    console.error(`[${group}] failed: ${message}`);
  }
  console.log(`[${group}] ${((performance.now() - groupStart) / 1000).toFixed(1)} s`);
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
