/**
 * @nori/archive replica benchmark: replica lag at a steady append rate, beside the archive lag
 * measured in the same run (the replica cannot be ahead of the archiver: the ratio shows what
 * polling and reading back add), written to <repo>/.bench-results/archive-replica.json.
 *
 *   node --conditions=@nori/source --import tsx bench/replica.bench.ts
 *
 * A WAL (fsync `batch`) takes RATE records/s for SECONDS in 5 ms ticks; an Archiver (intervalMs
 * INTERVAL_MS) ships to a MemoryObjectStore; a replica (pollIntervalMs POLL_MS) follows it in the
 * same process. Per record: archive lag = chunk shipped - append acknowledged; replica lag =
 * yielded by the replica - append acknowledged.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wal, comparePositions, type Position } from '@nori/wal';
import { Archiver, MemoryObjectStore, openReplica } from '../src/index.js';

const RATE = Number(process.env['BENCH_REPLICA_RATE'] ?? 50_000);
const SECONDS = Number(process.env['BENCH_REPLICA_SECONDS'] ?? 4);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const TICK_MS = 5;
const INTERVAL_MS = 10;
const POLL_MS = 5;
const VALUE = 'v'.repeat(100);

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface RunResult {
  rate: number;
  archive: { p50: number; p99: number };
  replica: { p50: number; p99: number };
}

async function run(root: string): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(root, 'replica-'));
  const { wal } = await Wal.open({ dir, fsync: 'batch', maxSegmentSize: 8 * 1024 * 1024 });
  const total = RATE * SECONDS;
  const ackAt = new Float64Array(total);
  const archivedAt = new Float64Array(total);
  const yieldedAt = new Float64Array(total);
  /** Start of each record: it is archived once a shipped chunk ends after it. */
  const starts: Position[] = new Array<Position>(total);
  let archivedUpTo = 0;
  let acked = 0;
  const store = new MemoryObjectStore();
  const archiver = await Archiver.start(wal, {
    store,
    prefix: 'bench',
    intervalMs: INTERVAL_MS,
    observer: {
      onChunkShipped(e) {
        const now = performance.now();
        const end = { segmentId: e.segmentId, offset: e.offset + e.bytes };
        while (archivedUpTo < acked && comparePositions(starts[archivedUpTo] as Position, end) < 0) archivedAt[archivedUpTo++] = now;
      },
    },
  });
  const replica = openReplica({ store, prefix: 'bench', pollIntervalMs: POLL_MS });
  let yielded = 0;
  const following = (async () => {
    for await (const entry of replica.follow()) {
      yieldedAt[Number(Buffer.from(entry.key).toString('latin1', 1))] = performance.now();
      if (++yielded === total) break;
    }
  })();
  const start = performance.now();
  let appended = 0;
  while (appended < total) {
    const due = Math.min(total, Math.ceil(((performance.now() - start) / 1000) * RATE));
    const batch: Promise<void>[] = [];
    for (; appended < due; appended++) {
      const i = appended;
      batch.push(
        wal.append({ key: `k${i}`, value: VALUE }).then(({ position }) => {
          ackAt[i] = performance.now();
          starts[i] = position;
        }),
      );
    }
    await Promise.all(batch);
    acked = appended;
    await sleep(TICK_MS);
  }
  const elapsed = (performance.now() - start) / 1000;
  await archiver.flush();
  await following;
  await archiver.close();
  await replica.close();
  await wal.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const lags = (at: Float64Array): { p50: number; p99: number } => {
    const sorted = Float64Array.from(at, (t, i) => t - (ackAt[i] as number)).sort();
    return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  };
  return { rate: total / elapsed, archive: lags(archivedAt), replica: lags(yieldedAt) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] as number;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-replica-bench-'));
const runs: RunResult[] = [];
try {
  for (let r = 0; r < RUNS; r++) {
    const result = await run(root);
    runs.push(result);
    console.log(
      `run ${r + 1}: ${result.rate.toFixed(0)} records/s; archive lag p50 ${result.archive.p50.toFixed(1)} ms p99 ${result.archive.p99.toFixed(1)} ms; ` +
        `replica lag p50 ${result.replica.p50.toFixed(1)} ms p99 ${result.replica.p99.toFixed(1)} ms`,
    );
  }
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
const pick = (f: (r: RunResult) => number): number => median(runs.map(f));
const results = ['p50', 'p99'].map((p) => {
  const key = p as 'p50' | 'p99';
  const value = pick((r) => r.replica[key]);
  const base = pick((r) => r.archive[key]);
  return {
    name: `replica lag ${p} at ${RATE} records/s (memory store, poll ${POLL_MS} ms, archiver interval ${INTERVAL_MS} ms)`,
    unit: 'ms',
    value,
    runs: runs.map((r) => r.replica[key]),
    baseline: { name: `archive lag ${p} (append acknowledged -> chunk in the store)`, value: base, runs: runs.map((r) => r.archive[key]) },
    ratio: value / base,
  };
});
for (const r of results)
  console.log(`${r.name}: ${r.value.toFixed(1)} ms vs ${r.baseline.name}: ${r.baseline.value.toFixed(1)} ms (ratio ${r.ratio.toFixed(2)})`);
console.log(`achieved append rate (median): ${pick((r) => r.rate).toFixed(0)} records/s`);
const out = fileURLToPath(new URL('../../../.bench-results/archive-replica.json', import.meta.url));
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ package: '@nori/archive', results }, null, 2)}\n`);
console.log(`wrote ${out}`);
