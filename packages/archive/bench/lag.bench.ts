/**
 * @nori/archive lag benchmark: how long after its append was acknowledged a record is in the
 * store, at a steady 50k records/s of 256-byte records (fsync 'always', so an acknowledged record
 * is durable and shippable at once; archiver `intervalMs` 10). Baseline from the same run: the
 * store's own put latency for the chunks shipped meanwhile (what no archiver can go below).
 * Memory store always; the S3 store of the integration-test variables (README) too when set.
 * Written to <repo>/.bench-results/archive-lag.json.
 *
 *   pnpm --filter @nori/archive bench
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wal, comparePositions, type Position } from '@nori/wal';
import { Archiver, MemoryObjectStore, type ObjectStore } from '../src/index.js';
import { benchS3Store, percentile, writeResults, type Result } from './support.js';

/** Records appended per second. */
const RATE = Number(process.env['BENCH_LAG_RATE'] ?? 50_000);
/** Encoded size of each record (key + value + header). */
const RECORD_BYTES = 256;
/** Appends are issued every TICK_MS (RATE * TICK_MS / 1000 of them, concurrently). */
const TICK_MS = 10;
const SECONDS = Number(process.env['BENCH_LAG_SECONDS'] ?? 4);
const INTERVAL_MS = 10;
const value = 'v'.repeat(RECORD_BYTES - 24);

interface Pending {
  /** Start of the tick's last record: archived once a chunk ends after it. */
  last: Position;
  ackedAt: number;
}

interface LagRun {
  lagsMs: number[];
  putsMs: number[];
  /** Records per second actually appended. */
  rate: number;
}

async function measure(store: ObjectStore): Promise<LagRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-lag-bench-'));
  const { wal } = await Wal.open({ dir, fsync: 'always', maxSegmentSize: 16 * 1024 * 1024 });
  const pending: Pending[] = [];
  const lagsMs: number[] = [];
  const putsMs: number[] = [];
  const archiver = await Archiver.start(wal, {
    store,
    prefix: 'lag',
    intervalMs: INTERVAL_MS,
    observer: {
      onChunkShipped: (e) => {
        if (e.kind !== 'data') return;
        putsMs.push(e.durationMs);
        const end = { segmentId: e.segmentId, offset: e.offset + e.bytes };
        const now = performance.now();
        while (pending.length > 0 && comparePositions((pending[0] as Pending).last, end) < 0) lagsMs.push(now - (pending.shift() as Pending).ackedAt);
      },
    },
  });
  const perTick = Math.round((RATE * TICK_MS) / 1000);
  const ticks = Math.round((SECONDS * 1000) / TICK_MS);
  const start = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    const due = start + tick * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const positions = await Promise.all(Array.from({ length: perTick }, (_, i) => wal.append({ key: `k${tick}-${i}`, value }).then((r) => r.position)));
    const last = positions.reduce((a, b) => (comparePositions(a, b) > 0 ? a : b));
    pending.push({ last, ackedAt: performance.now() });
  }
  const rate = (ticks * perTick) / ((performance.now() - start) / 1000);
  await archiver.flush();
  await archiver.close();
  await wal.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { lagsMs, putsMs, rate };
}

function report(label: string, run: LagRun): Result[] {
  const rows: Result[] = [];
  for (const p of [50, 99]) {
    const lag = percentile(run.lagsMs, p);
    const put = percentile(run.putsMs, p);
    const name = `archive lag p${p}, ${label} (${Math.round(run.rate)} records/s of ${RECORD_BYTES} B, fsync always, intervalMs ${INTERVAL_MS})`;
    console.log(`${name}: ${lag.toFixed(1)} ms vs chunk put p${p}: ${put.toFixed(1)} ms (ratio ${(lag / put).toFixed(2)})`);
    rows.push({ name, unit: 'ms', value: lag, runs: [lag], baseline: { name: `chunk put latency p${p}`, value: put, runs: [put] }, ratio: lag / put });
  }
  return rows;
}

const results: Result[] = [...report('memory store', await measure(new MemoryObjectStore()))];
const s3 = benchS3Store(`nori-bench/lag-${Date.now().toString(36)}/`);
if (s3 === undefined) {
  console.log('  S3 lag skipped: NORI_S3_ENDPOINT / NORI_S3_BUCKET not set');
} else {
  try {
    results.push(...report('S3 (NORI_S3_ENDPOINT)', await measure(s3)));
    for await (const { key } of s3.list('')) await s3.delete(key);
  } finally {
    s3.destroy();
  }
}
writeResults('archive-lag.json', results);
