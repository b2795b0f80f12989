/**
 * @nori/storage benchmarks: each figure beside a baseline measured in the same run (interleaved,
 * median of RUNS), written to <repo>/.bench-results/storage.json (format: docs/ARCHITECTURE.md).
 *
 *   pnpm --filter @nori/storage bench
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStorage, NodeFileStorage, type StorageFile } from '../src/index.js';
import { median, type BenchResult as Result } from '@nori/test-support/bench';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const MIN_MS = Number(process.env['BENCH_MIN_MS'] ?? 150);
const KiB = 1024;
const WRAP = 32 * 1024 * KiB;

/** Calls `step` (one unit of work) for at least MIN_MS; returns units per second. */
async function rate(step: () => unknown): Promise<number> {
  await step();
  let units = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 64; i++) {
      // Await only real promises, so synchronous steps are not charged a microtask each.
      const pending = step();
      if (pending instanceof Promise) await pending;
    }
    units += 64;
    elapsed = performance.now() - start;
  } while (elapsed < MIN_MS);
  return units / (elapsed / 1000);
}

async function measure(name: string, unit: string, ours: () => unknown, baseline: { name: string; step: () => unknown }, scale = 1): Promise<Result> {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    a.push((await rate(ours)) * scale);
    b.push((await rate(baseline.step)) * scale);
  }
  const value = median(a);
  const base = median(b);
  const result = { name, unit, value, runs: a, baseline: { name: baseline.name, value: base, runs: b }, ratio: value / base };
  console.log(`${name}: ${value.toFixed(0)} ${unit} vs ${baseline.name}: ${base.toFixed(0)} (ratio ${result.ratio.toFixed(2)})`);
  return result;
}

/** Sequential positional appends that wrap around so the file stays small. */
function appender(size: number): { next(): number } {
  let position = 0;
  return {
    next() {
      const at = position;
      position = position + size > WRAP ? 0 : position + size;
      return at;
    },
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-storage-bench-'));
const results: Result[] = [];
try {
  const storage = new NodeFileStorage(dir);
  const record = new Uint8Array(KiB).fill(7);
  const ours = await storage.open('ours', { create: true });
  const rawFd = fs.openSync(path.join(dir, 'raw'), 'w+');
  const rawHandle = await fs.promises.open(path.join(dir, 'handle'), 'w+');

  const a1 = appender(KiB);
  const b1 = appender(KiB);
  results.push(
    await measure('NodeFile.writevSync, 1 KiB appends', 'records/s', () => ours.writevSync([record], a1.next()), {
      name: 'fs.writeSync, 1 KiB appends',
      step: () => fs.writeSync(rawFd, record, 0, KiB, b1.next()),
    }),
  );

  const batch = Array.from({ length: 64 }, () => record);
  const a2 = appender(64 * KiB);
  const b2 = appender(64 * KiB);
  results.push(
    await measure(
      'NodeFile.writevSync, 64 x 1 KiB gathered',
      'MB/s',
      () => ours.writevSync(batch, a2.next()),
      {
        name: 'fs.writevSync, 64 x 1 KiB gathered',
        step: () => fs.writevSync(rawFd, batch, b2.next()),
      },
      (64 * KiB) / 1e6,
    ),
  );

  const a3 = appender(KiB);
  const b3 = appender(KiB);
  results.push(
    await measure('NodeFile.writev (async), 1 KiB appends', 'records/s', () => ours.writev([record], a3.next()), {
      name: 'FileHandle.write (fs.promises), 1 KiB appends',
      step: () => rawHandle.write(record, 0, KiB, b3.next()),
    }),
  );

  const chunk = new Uint8Array(1024 * KiB);
  await ours.writev([new Uint8Array(4 * 1024 * KiB)], 0);
  await rawHandle.write(new Uint8Array(4 * 1024 * KiB), 0, 4 * 1024 * KiB, 0);
  let readAt = 0;
  let baseAt = 0;
  results.push(
    await measure(
      'NodeFile.read, 1 MiB chunks',
      'MB/s',
      async () => {
        await ours.read(chunk, 0, chunk.length, readAt);
        readAt = (readAt + chunk.length) % (4 * 1024 * KiB);
      },
      {
        name: 'FileHandle.read (fs.promises), 1 MiB chunks',
        step: async () => {
          await rawHandle.read(chunk, 0, chunk.length, baseAt);
          baseAt = (baseAt + chunk.length) % (4 * 1024 * KiB);
        },
      },
      (1024 * KiB) / 1e6,
    ),
  );
  await ours.close();
  fs.closeSync(rawFd);
  await rawHandle.close();

  const memory = new MemoryStorage();
  const memFile: StorageFile = await memory.open('m', { create: true });
  const arena = new Uint8Array(WRAP + KiB);
  const a5 = appender(KiB);
  const b5 = appender(KiB);
  results.push(
    await measure(
      'MemoryStorage writevSync, 1 KiB appends (+ datasync every 64)',
      'records/s',
      () => {
        const at = a5.next();
        memFile.writevSync([record], at);
        if ((at / KiB) % 64 === 63) return memFile.datasync();
        return undefined;
      },
      { name: 'Uint8Array.set of 1 KiB', step: () => arena.set(record, b5.next()) },
    ),
  );

  /** A small WAL-like workload: create, preallocate, 40 appends with a sync every 8, syncDir. */
  async function workload(disk: MemoryStorage): Promise<void> {
    const file = await disk.open('000001.wal', { create: true });
    await file.preallocate(256 * KiB);
    await file.datasync();
    await disk.syncDir();
    for (let i = 0; i < 40; i++) {
      file.writevSync([record], i * KiB);
      if (i % 8 === 7) await file.datasync();
    }
    await file.close();
  }
  let seed = 0;
  results.push(
    await measure(
      'MemoryStorage: workload + crash() + reopen',
      'crash points/s',
      async () => {
        const disk = new MemoryStorage({ seed: seed++ });
        await workload(disk);
        disk.crash();
        await (await disk.open('000001.wal')).close();
      },
      {
        name: 'the same workload without crash()',
        step: async () => {
          const disk = new MemoryStorage({ seed: seed++ });
          await workload(disk);
          await (await disk.open('000001.wal')).close();
        },
      },
    ),
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

const out = fileURLToPath(new URL('../../../.bench-results/storage.json', import.meta.url));
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ package: '@nori/storage', results }, null, 2)}\n`);
console.log(`wrote ${out}`);
