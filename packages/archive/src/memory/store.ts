import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { checksumForPut, resolveRange, throwIfAborted, validateBytes, validateRangeShape, verifyChecksum } from '../common.js';
import { ArchiveError } from '../errors.js';
import { compareKeys, validateKey, validatePrefix } from '../keys.js';
import type { CallOptions, GetOptions, GetResult, ListOptions, ObjectInfo, ObjectStore, ObjectStoreOperation, ObjectSummary, PutOptions } from '../types.js';
import { FaultInjector, type MemoryObjectFault } from './faults.js';

/** Page size of {@link MemoryObjectStore.list} unless configured (S3's default). */
const DEFAULT_LIST_PAGE_SIZE = 1000;

/** Options of {@link MemoryObjectStore}. */
export interface MemoryObjectStoreOptions {
  /** Seed of the PRNG behind every random fault decision (default 1): same seed, same run. */
  seed?: number | undefined;
  /** Faults armed from the start (more with `injectFault`). */
  faults?: readonly MemoryObjectFault[] | undefined;
  /** Keys fetched per page while listing (default 1000); small values exercise pagination. */
  listPageSize?: number | undefined;
}

/** Options of {@link MemoryObjectStore.corrupt}. */
export interface CorruptOptions {
  /** Byte whose lowest bit is flipped (default 0). */
  offset?: number | undefined;
}

interface StoredObject {
  bytes: Uint8Array;
  crc32c: number;
  etag: string;
}

/**
 * An in-memory {@link ObjectStore} for tests and simulations, with seeded, deterministic fault
 * injection: unreachable store, timeouts (a mutation may or may not have happened) and lost
 * responses (a put happened, the caller sees an error). `corrupt()` simulates bit rot.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly #objects = new Map<string, StoredObject>();
  readonly #faults: FaultInjector;
  readonly #listPageSize: number;
  #writes = 0;

  constructor(options: MemoryObjectStoreOptions = {}) {
    const seed = options.seed ?? 1;
    if (!Number.isSafeInteger(seed)) throw new ArchiveError('ERR_INVALID_ARGUMENT', 'seed must be a safe integer');
    const pageSize = options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE;
    if (!Number.isSafeInteger(pageSize) || pageSize <= 0) {
      throw new ArchiveError('ERR_INVALID_ARGUMENT', 'listPageSize must be a positive integer');
    }
    this.#listPageSize = pageSize;
    this.#faults = new FaultInjector(seed);
    for (const fault of options.faults ?? []) this.#faults.add(fault);
  }

  /** Arms a fault (see {@link MemoryObjectFault}); `ERR_INVALID_ARGUMENT` for a malformed one. */
  injectFault(fault: MemoryObjectFault): void {
    this.#faults.add(fault);
  }

  /** Disarms every fault. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** Flips one bit of a stored object, keeping its recorded CRC32C (simulated bit rot). */
  corrupt(key: string, options: CorruptOptions = {}): void {
    const stored = this.#objects.get(key);
    if (stored === undefined) throw new ArchiveError('ERR_NOT_FOUND', `corrupt ${key}: no such object`, { key });
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= stored.bytes.length) {
      throw new ArchiveError('ERR_INVALID_ARGUMENT', `corrupt ${key}: offset ${offset} outside the object`, { key });
    }
    stored.bytes[offset] = (stored.bytes[offset] as number) ^ 1;
  }

  /** All keys, sorted as `list` returns them (a synchronous view for tests). */
  keys(): string[] {
    return [...this.#objects.keys()].sort(compareKeys);
  }

  async put(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    validateBytes(bytes, key);
    const crc = checksumForPut(key, bytes, options.checksum);
    const copy = handedOver.has(bytes) ? bytes : copyBytes(bytes);
    await this.#enter('put', key, options.signal);
    const effect = this.#faults.next('put', key);
    if (effect === 'unavailable') throw unavailable('put', key);
    if (effect === 'timeout') {
      if (this.#faults.timedOutMutationApplies()) this.#tryStore(key, copy, crc, options);
      throw timeout('put', key);
    }
    const info = this.#store(key, copy, crc, options);
    if (effect === 'lost-response') throw lostResponse('put', key);
    return info;
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    validateKey(key);
    if (options.range !== undefined) validateRangeShape(key, options.range);
    await this.#enter('get', key, options.signal);
    this.#readFault('get', key);
    const stored = this.#find('get', key);
    const info = infoOf(key, stored);
    if (options.range === undefined) {
      verifyChecksum(key, stored.bytes, stored.crc32c);
      return { bytes: stored.bytes.slice(), info, verified: true };
    }
    const [start, end] = resolveRange(key, options.range, stored.bytes.length);
    return { bytes: stored.bytes.slice(start, end), info, verified: false };
  }

  async head(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    validateKey(key);
    await this.#enter('head', key, options.signal);
    this.#readFault('head', key);
    return infoOf(key, this.#find('head', key));
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<ObjectSummary> {
    validatePrefix(prefix);
    if (options.startAfter !== undefined) validatePrefix(options.startAfter);
    let cursor = options.startAfter;
    while (true) {
      await this.#enter('list', prefix, options.signal);
      this.#readFault('list', prefix);
      const page = this.#page(prefix, cursor);
      for (const summary of page) yield summary;
      if (page.length < this.#listPageSize) return;
      cursor = page[page.length - 1]?.key;
    }
  }

  async delete(key: string, options: CallOptions = {}): Promise<void> {
    validateKey(key);
    await this.#enter('delete', key, options.signal);
    const effect = this.#faults.next('delete', key);
    if (effect === 'unavailable') throw unavailable('delete', key);
    if (effect === 'timeout') {
      if (this.#faults.timedOutMutationApplies()) this.#objects.delete(key);
      throw timeout('delete', key);
    }
    this.#objects.delete(key);
    if (effect === 'lost-response') throw lostResponse('delete', key);
  }

  /** Checks the signal before and after yielding to the event loop, like a network round trip. */
  async #enter(op: ObjectStoreOperation, key: string, signal: AbortSignal | undefined): Promise<void> {
    throwIfAborted(signal, op, key);
    await nextMacrotask();
    throwIfAborted(signal, op, key);
  }

  #readFault(op: ObjectStoreOperation, key: string): void {
    const effect = this.#faults.next(op, key);
    if (effect === 'unavailable') throw unavailable(op, key);
    if (effect === 'timeout') throw timeout(op, key);
  }

  #find(op: ObjectStoreOperation, key: string): StoredObject {
    const stored = this.#objects.get(key);
    if (stored === undefined) throw new ArchiveError('ERR_NOT_FOUND', `${op} ${key}: no such object`, { op, key, status: 404 });
    return stored;
  }

  #store(key: string, bytes: Uint8Array, crc: number, options: PutOptions): ObjectInfo {
    if (options.ifNoneMatch === '*' && this.#objects.has(key)) {
      throw new ArchiveError('ERR_PRECONDITION_FAILED', `put ${key}: object already exists`, { op: 'put', key, status: 412 });
    }
    this.#writes += 1;
    const stored = { bytes, crc32c: crc, etag: `"${this.#writes.toString(16)}"` };
    this.#objects.set(key, stored);
    return infoOf(key, stored);
  }

  /** A timed-out put that reached the store: a failed precondition is as invisible as success. */
  #tryStore(key: string, bytes: Uint8Array, crc: number, options: PutOptions): void {
    if (options.ifNoneMatch === '*' && this.#objects.has(key)) return;
    this.#store(key, bytes, crc, options);
  }

  #page(prefix: string, cursor: string | undefined): ObjectSummary[] {
    const keys = [...this.#objects.keys()]
      .filter((key) => key.startsWith(prefix) && (cursor === undefined || compareKeys(key, cursor) > 0))
      .sort(compareKeys)
      .slice(0, this.#listPageSize);
    return keys.map((key) => {
      const stored = this.#objects.get(key) as StoredObject;
      return { key, size: stored.bytes.length, etag: stored.etag };
    });
  }
}

function infoOf(key: string, stored: StoredObject): ObjectInfo {
  return { key, size: stored.bytes.length, crc32c: stored.crc32c, etag: stored.etag };
}

function unavailable(op: ObjectStoreOperation, key: string): ArchiveError {
  return new ArchiveError('ERR_UNAVAILABLE', `${op} ${key}: store unavailable (injected)`, { op, key });
}

function timeout(op: ObjectStoreOperation, key: string): ArchiveError {
  return new ArchiveError('ERR_TIMEOUT', `${op} ${key}: timed out (injected); a put or delete may or may not have taken effect`, { op, key });
}

function lostResponse(op: ObjectStoreOperation, key: string): ArchiveError {
  return new ArchiveError('ERR_UNAVAILABLE', `${op} ${key}: connection lost before the response (injected); the ${op} took effect`, { op, key });
}

/** Buffers whose only holder gave them up to the store (see {@link handOver}). */
const handedOver = new WeakSet<Uint8Array>();

/**
 * Hands `bytes` over to whichever memory store they are put into: the store keeps them instead
 * of a copy. Only for a buffer nobody writes to afterwards (the archiver's chunk buffers, made
 * per chunk and dropped once created); it saves a copy of every shipped byte and the garbage
 * the copies make. Internal (not exported from the package).
 */
export function handOver(bytes: Uint8Array): Uint8Array {
  handedOver.add(bytes);
  return bytes;
}

/** A private copy of `bytes` (every byte is overwritten at once: no zero-fill of the new buffer). */
function copyBytes(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(Buffer.allocUnsafeSlow(bytes.length).buffer, 0, bytes.length);
  copy.set(bytes);
  return copy;
}
