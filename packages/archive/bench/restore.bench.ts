/**
 * @nori/archive restore benchmark: `restore` beside baselines measured in the same run
 * (interleaved, median of RUNS), written to <repo>/.bench-results/archive-restore.json
 * (format: docs/ARCHITECTURE.md "Benchmarks").
 *
 *   pnpm --filter @nori/archive bench
 *
 * Baselines: reading the same chunk objects with `store.get` (verified, one at a time: "raw
 * GetObject"), and that plus writing the payloads to segment files with one fsync each (the least
 * a restore must do, without any verification). In-memory store always; the S3 store named by
 * the integration-test variables (README) too when they are set.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wal, segmentName } from '@nori/wal';
import { MemoryObjectStore, chunkKey, restore, type ObjectStore } from '../src/index.js';
import { archiveLog, type WrittenChunk } from '../test/support/archive-log.js';
import { benchS3Store, median, writeResults, type Result } from './support.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const MiB = 1024 * 1024;
const LOG_MIB = Number(process.env['BENCH_RESTORE_MIB'] ?? 32);
const S3_LOG_MIB = Number(process.env['BENCH_RESTORE_S3_MIB'] ?? 32);
const RECORD_BYTES = 1024;
const CHUNK_BYTES = MiB;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-restore-bench-'));
let dirs = 0;
function freshDir(): string {
  return path.join(scratch, `d${dirs++}`);
}

async function writeSourceLog(mib: number): Promise<string> {
  const dir = freshDir();
  const { wal } = await Wal.open({ dir, maxSegmentSize: 8 * MiB, fsync: 'os', preallocate: false });
  const value = new Uint8Array(RECORD_BYTES - 20).fill(7);
  for (let i = 0; i < (mib * MiB) / RECORD_BYTES; i++) await wal.append({ key: `k${i}`, value });
  await wal.close();
  return dir;
}

/** MB/s of `work`, which handles `bytes` payload bytes. */
async function throughput(bytes: number, work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return bytes / 1e6 / ((performance.now() - start) / 1000);
}

async function getAll(store: ObjectStore, chunks: readonly WrittenChunk[]): Promise<void> {
  for (const chunk of chunks) await store.get(chunkKey('bench', chunk.seq));
}

function syncAndClose(fd: number | undefined): void {
  if (fd === undefined) return;
  fs.fdatasyncSync(fd);
  fs.closeSync(fd);
}

async function getAndWrite(store: ObjectStore, chunks: readonly WrittenChunk[]): Promise<void> {
  const dir = freshDir();
  fs.mkdirSync(dir);
  let fd: number | undefined;
  let segment = -1;
  for (const chunk of chunks) {
    const { bytes } = await store.get(chunkKey('bench', chunk.seq));
    if (chunk.kind !== 1) continue;
    if (chunk.segmentId !== segment) {
      syncAndClose(fd);
      fd = fs.openSync(path.join(dir, segmentName(chunk.segmentId)), 'w');
      segment = chunk.segmentId;
    }
    fs.writeSync(fd as number, bytes, 80, bytes.length - 80, chunk.offset);
  }
  syncAndClose(fd);
  fs.rmSync(dir, { recursive: true });
}

async function compare(label: string, store: ObjectStore, chunks: readonly WrittenChunk[]): Promise<Result[]> {
  const bytes = chunks.filter((c) => c.kind === 1).reduce((sum, c) => sum + c.length, 0);
  const ours: number[] = [];
  const raw: number[] = [];
  const copy: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    ours.push(
      await throughput(bytes, async () => {
        const dir = freshDir();
        await restore({ store, prefix: 'bench', dir });
        fs.rmSync(dir, { recursive: true });
      }),
    );
    raw.push(await throughput(bytes, () => getAll(store, chunks)));
    copy.push(await throughput(bytes, () => getAndWrite(store, chunks)));
  }
  const result = (name: string, baselineName: string, baseline: number[]): Result => {
    const value = median(ours);
    const base = median(baseline);
    console.log(`${name}: ${value.toFixed(0)} MB/s vs ${baselineName}: ${base.toFixed(0)} MB/s (ratio ${(value / base).toFixed(2)})`);
    return { name, unit: 'MB/s', value, runs: ours, baseline: { name: baselineName, value: base, runs: baseline }, ratio: value / base };
  };
  const size = `${Math.round(bytes / MiB)} MiB, 1 MiB chunks, 1 KiB records`;
  return [
    result(`restore, ${label} (${size})`, 'store.get of the same chunks', raw),
    result(`restore vs unverified copy, ${label} (${size})`, 'store.get + write + fsync, no verification', copy),
  ];
}

async function archived(store: ObjectStore, mib: number): Promise<WrittenChunk[]> {
  return archiveLog({ store, prefix: 'bench', dir: await writeSourceLog(mib), chunkSizes: [CHUNK_BYTES] });
}

async function main(): Promise<void> {
  const results: Result[] = [];
  try {
    const memory = new MemoryObjectStore();
    results.push(...(await compare('memory store', memory, await archived(memory, LOG_MIB))));
    const s3 = benchS3Store(`nori-bench/restore-${Date.now().toString(36)}/`);
    if (s3 !== undefined) {
      try {
        const chunks = await archived(s3, S3_LOG_MIB);
        results.push(...(await compare('S3 (NORI_S3_ENDPOINT)', s3, chunks)));
        for (const chunk of chunks) await s3.delete(chunk.key);
      } finally {
        s3.destroy();
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  writeResults('archive-restore.json', results);
}

await main();
