import { fs } from './node-fs.js';
import { checkNonNegativeInteger, checkReadArgs, checkWriteArgs } from '../args.js';
import { StorageError, fromNodeError } from '../errors.js';
import type { StorageFile } from '../types.js';
import type { MetadataCalls } from './metadata.js';
import type { SyncCalls } from './sync-calls.js';
import { fsAsync, remainingBuffers } from './fs-async.js';

/** How `StorageFile.preallocate()` in NodeFileStorage reserves space; see the package README. */
export type PreallocateMode = 'zeros' | 'sparse';

const ZERO_CHUNK = 1 << 20;
let zeroChunk: Uint8Array | undefined;

/**
 * Writes all `total` bytes of `buffers` at `position`, looping on short writes. A single buffer
 * (every lone `append` of a WAL) goes through `pwrite` (`fs.writeSync`), which skips the iovec
 * array handling of `pwritev` (`fs.writevSync`); the bytes written are the same.
 */
function writeAllSync(fd: number, buffers: readonly Uint8Array[], position: number, total: number): void {
  let remaining = total;
  let pending = buffers;
  let at = position;
  while (remaining > 0) {
    const only = pending.length === 1 ? (pending[0] as Uint8Array) : undefined;
    const written = only !== undefined ? fs.writeSync(fd, only, 0, only.byteLength, at) : fs.writevSync(fd, pending, at);
    remaining -= written;
    at += written;
    if (remaining > 0) pending = remainingBuffers(pending, written);
  }
}

/** A {@link StorageFile} over a raw file descriptor. */
export class NodeFile implements StorageFile {
  readonly name: string;
  #fd: number;
  readonly #readOnly: boolean;
  readonly #preallocateMode: PreallocateMode;
  readonly #meta: MetadataCalls;
  readonly #sync: SyncCalls;

  /** @internal Use `NodeFileStorage.open`. */
  constructor(name: string, fd: number, options: { readOnly: boolean; preallocateMode: PreallocateMode; metadata: MetadataCalls; syncCalls: SyncCalls }) {
    this.name = name;
    this.#fd = fd;
    this.#readOnly = options.readOnly;
    this.#preallocateMode = options.preallocateMode;
    this.#meta = options.metadata;
    this.#sync = options.syncCalls;
  }

  #live(op: string): number {
    if (this.#fd < 0) throw new StorageError('ERR_CLOSED', `${op} on closed file ${this.name}`, { syscall: op, path: this.name });
    return this.#fd;
  }

  #writable(op: string): number {
    const fd = this.#live(op);
    if (this.#readOnly) {
      throw new StorageError('ERR_READ_ONLY', `${op} on read-only file ${this.name}`, { syscall: op, path: this.name });
    }
    return fd;
  }

  writevSync(buffers: readonly Uint8Array[], position: number): void {
    const fd = this.#writable('writev');
    const total = checkWriteArgs(buffers, position);
    try {
      writeAllSync(fd, buffers, position, total);
    } catch (error) {
      throw fromNodeError(error, 'writev', this.name);
    }
  }

  async writev(buffers: readonly Uint8Array[], position: number): Promise<void> {
    const fd = this.#writable('writev');
    let remaining = checkWriteArgs(buffers, position);
    let pending = buffers;
    let at = position;
    try {
      while (remaining > 0) {
        const written = await fsAsync.writev(fd, pending, at);
        remaining -= written;
        at += written;
        if (remaining > 0) pending = remainingBuffers(pending, written);
      }
    } catch (error) {
      throw fromNodeError(error, 'writev', this.name);
    }
  }

  async read(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    const fd = this.#live('read');
    checkReadArgs(target, targetOffset, length, position);
    let total = 0;
    try {
      while (total < length) {
        const n = await fsAsync.read(fd, target, targetOffset + total, length - total, position + total);
        if (n === 0) break;
        total += n;
      }
    } catch (error) {
      throw fromNodeError(error, 'read', this.name);
    }
    return total;
  }

  readSync(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    const fd = this.#live('read');
    checkReadArgs(target, targetOffset, length, position);
    let total = 0;
    try {
      while (total < length) {
        const n = fs.readSync(fd, target, targetOffset + total, length - total, position + total);
        if (n === 0) break;
        total += n;
      }
    } catch (error) {
      throw fromNodeError(error, 'read', this.name);
    }
    return total;
  }

  async size(): Promise<number> {
    const fd = this.#live('fstat');
    try {
      return await fsAsync.fstatSize(fd);
    } catch (error) {
      throw fromNodeError(error, 'fstat', this.name);
    }
  }

  async truncate(length: number): Promise<void> {
    const fd = this.#writable('ftruncate');
    checkNonNegativeInteger(length, 'length');
    try {
      await fsAsync.ftruncate(fd, length);
    } catch (error) {
      throw fromNodeError(error, 'ftruncate', this.name);
    }
  }

  async datasync(): Promise<void> {
    const fd = this.#live('fdatasync');
    try {
      await this.#sync.fdatasync(fd);
    } catch (error) {
      throw fromNodeError(error, 'fdatasync', this.name);
    }
  }

  async sync(): Promise<void> {
    const fd = this.#live('fsync');
    try {
      await this.#sync.fsync(fd);
    } catch (error) {
      throw fromNodeError(error, 'fsync', this.name);
    }
  }

  /**
   * Node has no `fallocate`. In `'zeros'` mode (default) the range past the current end is written
   * with zeros in 1 MiB chunks, so the blocks are really allocated (a full disk fails here, not on
   * a later append, and later `fdatasync`s need no block allocation). In `'sparse'` mode the file is
   * only extended with `ftruncate`: instant, but no space is reserved. Either way the new range
   * reads back as zeros, and a file already `>= length` is left alone. Do not write past the
   * current end while a `'zeros'` preallocation is running: its zeros could land after the write.
   */
  async preallocate(length: number): Promise<void> {
    const fd = this.#writable('preallocate');
    checkNonNegativeInteger(length, 'length');
    try {
      const current = await fsAsync.fstatSize(fd);
      if (current >= length) return;
      if (this.#preallocateMode === 'sparse') {
        await fsAsync.ftruncate(fd, length);
        return;
      }
      zeroChunk ??= new Uint8Array(ZERO_CHUNK);
      let at = current;
      while (at < length) {
        const n = await fsAsync.write(fd, zeroChunk, 0, Math.min(ZERO_CHUNK, length - at), at);
        at += n;
      }
    } catch (error) {
      throw fromNodeError(error, 'preallocate', this.name);
    }
  }

  async close(): Promise<void> {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    try {
      await this.#meta.close(fd);
    } catch (error) {
      throw fromNodeError(error, 'close', this.name);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
