/**
 * Remote-durable appends (`archiver.append`): throughput with 64 concurrent writers vs one writer
 * in the same run (interleaved, median of RUNS): the group-commit effect of group shipping, where
 * concurrent writers share one fsync and one PUT. On the memory store always, on S3 when
 * NORI_S3_ENDPOINT / NORI_S3_BUCKET are set. Writes <repo>/.bench-results/archive-remote-durable.json.
 *
 *   node --conditions=@nori/source --import tsx bench/remote-durable.bench.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wal } from '@nori/wal';
import { Archiver, MemoryObjectStore, S3ObjectStore, type ObjectStore } from '../src/index.js';
import { compare, type Result } from './support.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const WRITERS = 64;
/** Appends per writer per run with 64 writers (2560 records). */
const PER_WRITER = Number(process.env['BENCH_REMOTE_PER_WRITER'] ?? 40);
/** Appends of the single writer per run: enough for a run of the same order of duration. */
const SINGLE_WRITER_RECORDS = Number(process.env['BENCH_REMOTE_SINGLE'] ?? 400);
const value = 'v'.repeat(1024);

/** A fresh store per run (S3: a new prefix, emptied afterwards). */
type StoreFactory = () => { store: ObjectStore; dispose: () => Promise<void> };

const memoryStores: StoreFactory = () => ({ store: new MemoryObjectStore(), dispose: () => Promise.resolve() });

function s3Stores(): StoreFactory | undefined {
  const { NORI_S3_ENDPOINT: endpoint, NORI_S3_BUCKET: bucket } = process.env;
  if (endpoint === undefined || bucket === undefined) return undefined;
  let run = 0;
  return () => {
    const store = new S3ObjectStore({ endpoint, bucket, forcePathStyle: true, prefix: `nori-bench/remote-${Date.now().toString(36)}-${run++}/` });
    const dispose = async (): Promise<void> => {
      for await (const { key } of store.list('')) await store.delete(key);
      store.destroy();
    };
    return { store, dispose };
  };
}

/** Remote-durable records/s of `writers` concurrent writers, each appending `perWriter` 1 KiB records. */
async function remoteDurableRate(root: string, stores: StoreFactory, writers: number, perWriter: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(root, 'wal-'));
  const { wal } = await Wal.open({ dir, fsync: 'os' });
  const { store, dispose } = stores();
  const archiver = await Archiver.start(wal, { store, prefix: 'bench' });
  await archiver.flush();
  const before = { chunks: archiver.stats().chunks, fsyncs: wal.stats().fsyncs };
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < perWriter; i++) await archiver.append({ key: `w${w}-${i}`, value });
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const puts = archiver.stats().chunks - before.chunks;
  const fsyncs = wal.stats().fsyncs - before.fsyncs;
  console.log(`  ${writers} writer(s): ${writers * perWriter} records, ${puts} PUTs, ${fsyncs} fsyncs, ${seconds.toFixed(2)} s`);
  await archiver.close();
  await wal.close();
  await dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  return (writers * perWriter) / seconds;
}

async function groupEffect(root: string, label: string, stores: StoreFactory): Promise<Result> {
  return compare(
    RUNS,
    {
      name: `remote-durable append 1 KiB, ${WRITERS} concurrent writers (${label})`,
      unit: 'records/s',
      goal: 'ratio >= 20',
      run: () => remoteDurableRate(root, stores, WRITERS, PER_WRITER),
    },
    { name: `remote-durable append 1 KiB, one writer (${label})`, run: () => remoteDurableRate(root, stores, 1, SINGLE_WRITER_RECORDS) },
  );
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-remote-durable-bench-'));
const results: Result[] = [];
try {
  results.push(await groupEffect(root, 'memory store', memoryStores));
  const s3 = s3Stores();
  if (s3 === undefined) console.log('  S3 skipped: NORI_S3_ENDPOINT / NORI_S3_BUCKET not set');
  else results.push(await groupEffect(root, 'S3', s3));
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}

const out = fileURLToPath(new URL('../../../.bench-results/archive-remote-durable.json', import.meta.url));
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ package: '@nori/archive', results }, null, 2)}\n`);
console.log(`wrote ${out}`);
