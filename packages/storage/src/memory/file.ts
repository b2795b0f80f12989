import { checkNonNegativeInteger, checkReadArgs, checkWriteArgs } from '../args.js';
import { StorageError } from '../errors.js';
import type { StorageFile } from '../types.js';
import { enospc, type FaultInjector } from './faults.js';
import type { Inode } from './inode.js';

/** What a memory file handle needs from its storage. */
export interface MemoryContext {
  readonly epoch: number;
  readonly faults: FaultInjector;
  /** Called before every mutating operation: counts it and fires an armed crash fault. */
  mutation(op: string, name: string): void;
}

/** A {@link StorageFile} of a {@link MemoryStorage}; bound to the "process" (epoch) that opened it. */
export class MemoryFile implements StorageFile {
  readonly name: string;
  readonly #inode: Inode;
  readonly #context: MemoryContext;
  readonly #epoch: number;
  readonly #readOnly: boolean;
  #closed = false;

  /** @internal Use `MemoryStorage.open`. */
  constructor(name: string, inode: Inode, context: MemoryContext, readOnly: boolean) {
    this.name = name;
    this.#inode = inode;
    this.#context = context;
    this.#epoch = context.epoch;
    this.#readOnly = readOnly;
  }

  #live(op: string): Inode {
    if (this.#closed) throw new StorageError('ERR_CLOSED', `${op} on closed file ${this.name}`, { syscall: op, path: this.name });
    if (this.#context.epoch !== this.#epoch) {
      throw new StorageError('ERR_CRASHED', `${op} on ${this.name}: the storage crashed after it was opened`, {
        syscall: op,
        path: this.name,
      });
    }
    return this.#inode;
  }

  #writable(op: string): Inode {
    const inode = this.#live(op);
    if (this.#readOnly) {
      throw new StorageError('ERR_READ_ONLY', `${op} on read-only file ${this.name}`, { syscall: op, path: this.name });
    }
    return inode;
  }

  #mutation(op: string): void {
    this.#context.mutation(op, this.name);
    this.#live(op);
  }

  #grow(op: string, inode: Inode, length: number): void {
    const growth = length - inode.current.size;
    if (growth > 0 && !this.#context.faults.reserveAll(growth)) throw enospc(op, this.name);
  }

  /** Copies the buffers (the caller may reuse them); a write past free space stores what fits, then throws `ENOSPC`. */
  writevSync(buffers: readonly Uint8Array[], position: number): void {
    const inode = this.#writable('writev');
    const total = checkWriteArgs(buffers, position);
    this.#mutation('writev');
    this.#context.faults.check('write', this.name);
    if (total === 0) return;
    const allowed = this.#context.faults.reserve(total);
    if (allowed > 0) {
      const data = new Uint8Array(allowed);
      let at = 0;
      for (const buffer of buffers) {
        if (at >= allowed) break;
        const n = Math.min(buffer.byteLength, allowed - at);
        data.set(n === buffer.byteLength ? buffer : buffer.subarray(0, n), at);
        at += n;
      }
      inode.write(data, position);
    }
    if (allowed < total) throw enospc('writev', this.name);
  }

  async writev(buffers: readonly Uint8Array[], position: number): Promise<void> {
    this.writevSync(buffers, position);
  }

  readSync(target: Uint8Array, targetOffset: number, length: number, position: number): number {
    const inode = this.#live('read');
    checkReadArgs(target, targetOffset, length, position);
    this.#context.faults.check('read', this.name);
    return inode.current.read(target, targetOffset, length, position);
  }

  async read(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    return this.readSync(target, targetOffset, length, position);
  }

  async size(): Promise<number> {
    return this.#live('fstat').current.size;
  }

  async truncate(length: number): Promise<void> {
    const inode = this.#writable('ftruncate');
    checkNonNegativeInteger(length, 'length');
    this.#mutation('ftruncate');
    this.#grow('ftruncate', inode, length);
    inode.truncate(length);
  }

  async #sync(op: string): Promise<void> {
    const inode = this.#live(op);
    this.#mutation(op);
    const outcome = this.#context.faults.sync(this.name);
    if (outcome === 'ok') {
      inode.sync();
      return;
    }
    if (outcome === 'fsyncgate') inode.dropDirty();
    throw this.#context.faults.syncError(op, this.name);
  }

  async datasync(): Promise<void> {
    await this.#sync('fdatasync');
  }

  async sync(): Promise<void> {
    await this.#sync('fsync');
  }

  /** Grows the file with zeros (like `'zeros'` mode of the file backend): `ENOSPC` if it does not fit. */
  async preallocate(length: number): Promise<void> {
    const inode = this.#writable('preallocate');
    checkNonNegativeInteger(length, 'length');
    this.#mutation('preallocate');
    if (inode.current.size >= length) return;
    this.#grow('preallocate', inode, length);
    inode.truncate(length);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
