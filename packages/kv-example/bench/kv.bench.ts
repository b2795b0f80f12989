/**
 * @nori/kv-example benchmarks: the store's cost over the bare WAL it is built on. Each figure is
 * measured beside its baseline in the same run (interleaved, median of RUNS) and written to
 * <repo>/.bench-results/kv-example.json (format: docs/ARCHITECTURE.md, "Benchmarks").
 *
 *   pnpm --filter @nori/kv-example bench
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wal } from '@nori/wal';
import { KvStore } from '../src/index.js';
import { median, type BenchResult as Result } from '@nori/test-support/bench';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const OPERATIONS = Number(process.env['BENCH_OPERATIONS'] ?? 40_000);
const IN_FLIGHT = 4096;
const POLICY = { kind: 'batch', windowMs: 2 } as const;
const SEGMENT = 8 * 1024 * 1024;
const VALUE = JSON.stringify({ id: 1, name: 'ada-123', email: 'ada.123@example.com', plan: 'pro', version: 12345 });

function freshDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `nori-kv-bench-${tag}-`));
}

/** Runs `count` operations with `IN_FLIGHT` outstanding at a time; resolves with operations per second. */
async function pipelined(count: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (inFlight < IN_FLIGHT && next < count) {
        inFlight++;
        operation(next++).then(() => {
          inFlight--;
          if (next >= count && inFlight === 0) resolve();
          else pump();
        }, reject);
      }
    };
    pump();
  });
  return count / ((performance.now() - started) / 1000);
}

const key = (i: number): string => `user:${String(i % 10_000).padStart(6, '0')}`;

async function kvPuts(): Promise<number> {
  const dir = freshDir('put');
  const store = await KvStore.open({ dir, fsync: POLICY, maxSegmentSize: SEGMENT });
  try {
    return await pipelined(OPERATIONS, (i) => store.put(key(i), VALUE));
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function walAppends(): Promise<number> {
  const dir = freshDir('append');
  const { wal } = await Wal.open({ dir, fsync: POLICY, maxSegmentSize: SEGMENT });
  try {
    return await pipelined(OPERATIONS, (i) => wal.append({ key: key(i), value: VALUE }, { durable: true }));
  } finally {
    await wal.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A directory with OPERATIONS records and no snapshot, for the recovery figures. */
async function prepareLog(): Promise<string> {
  const dir = freshDir('log');
  const store = await KvStore.open({ dir, fsync: POLICY, maxSegmentSize: SEGMENT });
  await pipelined(OPERATIONS, (i) => store.put(`k${i}`, VALUE));
  await store.close();
  return dir;
}

async function kvOpen(dir: string): Promise<number> {
  const started = performance.now();
  const store = await KvStore.open({ dir, maxSegmentSize: SEGMENT });
  const seconds = (performance.now() - started) / 1000;
  await store.close();
  return OPERATIONS / seconds;
}

async function walOpenAndRead(dir: string): Promise<number> {
  const started = performance.now();
  const { wal } = await Wal.open({ dir, maxSegmentSize: SEGMENT });
  let records = 0;
  for await (const entry of wal.read({ copy: false })) records += entry.size > 0 ? 1 : 0;
  const seconds = (performance.now() - started) / 1000;
  await wal.close();
  if (records !== OPERATIONS) throw new Error(`expected ${OPERATIONS} records, read ${records}`);
  return OPERATIONS / seconds;
}

async function measure(name: string, unit: string, ours: () => Promise<number>, baseline: { name: string; run: () => Promise<number> }): Promise<Result> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    a.push(await ours());
    b.push(await baseline.run());
  }
  const value = median(a);
  const base = median(b);
  const result = { name, unit, value, runs: a, baseline: { name: baseline.name, value: base, runs: b }, ratio: value / base };
  console.log(`${name}: ${value.toFixed(0)} ${unit} vs ${baseline.name}: ${base.toFixed(0)} (ratio ${result.ratio.toFixed(2)})`);
  return result;
}

const results: Result[] = [];
results.push(
  await measure(`KvStore.put, ${IN_FLIGHT} in flight, batch/2 ms, acked after fsync`, 'records/s', kvPuts, {
    name: 'Wal.append of the same records (durable)',
    run: walAppends,
  }),
);
const logDir = await prepareLog();
try {
  results.push(
    await measure(`KvStore.open: rebuild the index from ${OPERATIONS} log records`, 'records/s', () => kvOpen(logDir), {
      name: 'Wal.open + read every record',
      run: () => walOpenAndRead(logDir),
    }),
  );
} finally {
  fs.rmSync(logDir, { recursive: true, force: true });
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const out = path.join(root, '.bench-results', 'kv-example.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ package: '@nori/kv-example', results }, null, 2)}\n`);
console.log(`wrote ${path.relative(root, out)}`);
