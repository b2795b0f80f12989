// Run from packages/kv-example: node --conditions=@nori/source --import tsx examples/remote-durable.ts
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MemoryObjectStore, promote } from '@nori/archive';
import { KvStore, isKvError } from '@nori/kv-example';

const base = await fs.mkdtemp(path.join(os.tmpdir(), 'nori-kv-remote-'));
const store = new MemoryObjectStore(); // S3ObjectStore in production

const kv = await KvStore.open({ dir: path.join(base, 'data'), archive: { store, prefix: 'kv' } });
await kv.put('user:1', 'ada'); // resolves once the record is in the store

// The machine is gone: promote a new primary from the archive on a fresh directory.
const promotion = await promote({ store, prefix: 'kv', dir: path.join(base, 'data-2') });
await promotion.close({ flush: true }); // generation 2 now owns the prefix
const next = await KvStore.open({ dir: path.join(base, 'data-2'), archive: { store, prefix: 'kv' } });
console.log(next.getString('user:1')); // ada
await kv.put('late', 'x').catch((error: unknown) => console.log(isKvError(error) ? error.code : error)); // ERR_FENCED

await next.close();
await kv.close().catch(() => undefined); // fenced: its archiver cannot flush; the WAL still closes
await fs.rm(base, { recursive: true, force: true });
