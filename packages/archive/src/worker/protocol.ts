import { ArchiveError, isArchiveErrorCode } from '../errors.js';
import type { ChunkRange } from '../archiver/shipper.js';
import type { MemoryObjectStoreOptions } from '../memory/store.js';
import type { S3ObjectStoreConfig } from '../s3/config.js';

/** Which store a {@link WorkerObjectStore} builds inside its worker thread (plain, cloneable data). */
export type WorkerStoreSpec =
  /** A `MemoryObjectStore` living in the worker (its objects are read back through the proxy). */
  | { kind: 'memory'; options?: MemoryObjectStoreOptions | undefined }
  /** An `S3ObjectStore` built in the worker from this config (no `client`, no provider function). */
  | { kind: 's3'; config: S3ObjectStoreConfig };

/**
 * Scheduling of the worker thread: `background` (default) lowers its priority (Linux: nice +10
 * for that thread only), so on a machine with no idle core the thread that runs the WAL gets the
 * CPU first and shipping takes what is left (the archive lag grows before appends slow down);
 * `normal` leaves it as the process's other threads.
 */
export type WorkerPriority = 'background' | 'normal';

/** The data given to the worker at its start. */
export interface WorkerBoot {
  spec: WorkerStoreSpec;
  priority: WorkerPriority;
}

/**
 * Operations the worker answers (store calls, memory-store extras, chunk shipping; `reset`
 * replaces a memory store by an empty one, so tests can share one thread).
 */
export type WorkerOp = 'put' | 'get' | 'head' | 'list' | 'delete' | 'injectFault' | 'clearFaults' | 'corrupt' | 'keys' | 'ship' | 'reset';

/** A request to the worker; `abort` cancels request `id` (its store call sees an aborted signal). */
export type WorkerRequest = { id: number; op: WorkerOp; args: unknown } | { id: number; op: 'abort' } | { id: number; op: 'crash' };

/** What a `ship` request carries: the range, and where its bytes are. */
export interface ShipArgs {
  range: ChunkRange;
  /** The WAL directory (a `NodeFileStorage` root): the worker reads the segment itself. */
  root?: string | undefined;
  /** Otherwise the main thread read the payload (after `CHUNK_HEADER_SIZE` bytes of room). */
  payload?: Uint8Array | undefined;
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  message: string;
  code?: string | undefined;
  op?: string | undefined;
  key?: string | undefined;
  status?: number | undefined;
  stack?: string | undefined;
}

/** The worker's answer to request `id`. */
export type WorkerResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

/** Flattens an error for `postMessage` (codes, key, op and status survive; classes do not). */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, op, key, status } = error as Partial<Record<'code' | 'op' | 'key', unknown>> & { status?: unknown };
  return {
    name: error.name,
    message: error.message,
    code: typeof code === 'string' ? code : undefined,
    op: typeof op === 'string' ? op : undefined,
    key: typeof key === 'string' ? key : undefined,
    status: typeof status === 'number' ? status : undefined,
    stack: error.stack,
  };
}

/**
 * Rebuilds an error from the worker: an `ArchiveError` with the same code (so `retryable`,
 * `isArchiveError` and `code` switches behave as on the main thread), else an `Error` carrying
 * the original `name` and `code` (e.g. a `StorageError` from reading a segment).
 */
export function fromWireError(wire: WireError): Error {
  if (isArchiveErrorCode(wire.code)) {
    const error = new ArchiveError(wire.code, wire.message, { op: wire.op, key: wire.key, status: wire.status });
    if (wire.stack !== undefined) error.stack = wire.stack;
    return error;
  }
  const error = Object.assign(new Error(wire.message), wire.code === undefined ? {} : { code: wire.code });
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
