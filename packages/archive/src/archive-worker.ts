/**
 * The archive worker thread (started by `WorkerObjectStore`): holds one object store and does the
 * per-byte work of shipping (reading segment bytes, CRC32C, chunk encoding, the store's I/O) off
 * the thread that runs the WAL. Answers numbered requests (protocol: src/worker/protocol.ts).
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { NodeFileStorage, type Storage } from '@nori/storage';
import { attemptCreateChunk } from './archiver/chunk-writer.js';
import { readRangeChunk, writeRangeHeader } from './archiver/shipper.js';
import { ArchiveError } from './errors.js';
import { CHUNK_HEADER_SIZE } from './layout/index.js';
import type { MemoryObjectFault } from './memory/faults.js';
import { MemoryObjectStore, handOver, type CorruptOptions, type MemoryObjectStoreOptions } from './memory/store.js';
import type { GetOptions, ObjectStore, ObjectSummary, PutOptions } from './types.js';
import { toWireError, type ShipArgs, type WorkerBoot, type WorkerRequest } from './worker/protocol.js';

const port = parentPort;
if (port === null) throw new Error('archive-worker.ts runs only as a worker thread');
const boot = workerData as WorkerBoot;
if (boot.priority === 'background') lowerThreadPriority();
// The AWS SDK loads only in a worker that needs it (a memory store's worker starts faster).
let store: ObjectStore =
  boot.spec.kind === 'memory' ? new MemoryObjectStore(boot.spec.options) : new (await import('./s3/store.js')).S3ObjectStore(boot.spec.config);
const storages = new Map<string, Storage>();
const calls = new Map<number, AbortController>();

/**
 * Nice +10 for this thread alone (Linux `setpriority` on the thread id); elsewhere, or where it
 * is not allowed, the thread keeps its priority. Lowering one's own priority needs no privilege.
 */
function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + 10));
  } catch {
    // Not Linux (no /proc/thread-self) or not permitted: normal priority is still correct.
  }
}

function memory(op: string): MemoryObjectStore {
  if (store instanceof MemoryObjectStore) return store;
  throw new ArchiveError('ERR_INVALID_ARGUMENT', `${op} needs a memory store in the worker`);
}

function storageAt(root: string): Storage {
  let storage = storages.get(root);
  if (storage === undefined) storages.set(root, (storage = new NodeFileStorage(root)));
  return storage;
}

/** Reads (or takes), encodes and creates one chunk; one attempt, the main thread retries. */
async function ship(args: ShipArgs, signal: AbortSignal): Promise<number> {
  const { range, root, payload } = args;
  const chunk = root !== undefined ? await readRangeChunk(storageAt(root), range) : payload;
  if (chunk === undefined) throw new ArchiveError('ERR_INVALID_ARGUMENT', 'ship: neither a WAL directory nor a payload');
  const bytes = handOver(writeRangeHeader(chunk, range)); // made for this put, never written again
  await attemptCreateChunk(store, range.prefix, { seq: range.seq, writerId: range.writerId, bytes }, signal);
  return bytes.length - CHUNK_HEADER_SIZE;
}

async function listPage(args: { prefix: string; startAfter?: string; limit: number }, signal: AbortSignal): Promise<ObjectSummary[]> {
  const page: ObjectSummary[] = [];
  for await (const summary of store.list(args.prefix, { startAfter: args.startAfter, signal })) {
    page.push(summary);
    if (page.length >= args.limit) break;
  }
  return page;
}

type Args = Record<string, unknown>;

function run(op: string, args: Args, signal: AbortSignal): unknown {
  switch (op) {
    case 'put':
      return store.put(args['key'] as string, args['bytes'] as Uint8Array, { ...(args['options'] as PutOptions), signal });
    case 'get':
      return store.get(args['key'] as string, { ...(args['options'] as GetOptions), signal });
    case 'head':
      return store.head(args['key'] as string, { signal });
    case 'delete':
      return store.delete(args['key'] as string, { signal });
    case 'list':
      return listPage(args as { prefix: string; startAfter?: string; limit: number }, signal);
    case 'ship':
      return ship(args as unknown as ShipArgs, signal);
    case 'injectFault':
      return memory(op).injectFault(args['fault'] as MemoryObjectFault);
    case 'clearFaults':
      return memory(op).clearFaults();
    case 'corrupt':
      return memory(op).corrupt(args['key'] as string, args['options'] as CorruptOptions);
    case 'keys':
      return memory(op).keys();
    case 'reset':
      memory(op); // only a memory store can be replaced by an empty one
      store = new MemoryObjectStore(args['options'] as MemoryObjectStoreOptions);
      return undefined;
    default:
      throw new ArchiveError('ERR_INVALID_ARGUMENT', `unknown worker operation ${op}`);
  }
}

async function answer(id: number, op: string, args: Args): Promise<void> {
  const controller = new AbortController();
  calls.set(id, controller);
  try {
    const value = await run(op, args, controller.signal);
    port?.postMessage({ id, ok: true, value });
  } catch (error) {
    port?.postMessage({ id, ok: false, error: toWireError(error) });
  } finally {
    calls.delete(id);
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.op === 'abort') calls.get(request.id)?.abort();
  // Uncaught: the thread dies here, before it handles another message (tests of crash handling).
  else if (request.op === 'crash') throw new Error('crash injected by a test');
  // Synchronous ops (fault arming) take effect before the next message is handled: in order.
  else void answer(request.id, request.op, (request.args ?? {}) as Args);
});
