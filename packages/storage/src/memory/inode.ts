import { PagedBuffer } from './paged-buffer.js';
import type { Prng } from './prng.js';

/** How `crash()` picks the unsynced changes that survive. */
export type CrashMode = 'prefix' | 'subset';

type FileOp = { kind: 'write'; position: number; data: Uint8Array } | { kind: 'truncate'; length: number };

/**
 * One simulated file: `durable` is what survives power loss, `current` is what the page cache
 * shows, and `pending` lists the changes since the last successful sync, in order.
 */
export class Inode {
  durable = new PagedBuffer();
  current = new PagedBuffer();
  #pending: FileOp[] = [];

  /** An independent copy (pages shared copy-on-write). */
  clone(): Inode {
    const copy = new Inode();
    copy.durable = this.durable.clone();
    copy.current = this.current.clone();
    copy.#pending = this.#pending.slice();
    return copy;
  }

  /** True while changes since the last sync exist (a crash may lose them). */
  get dirty(): boolean {
    return this.#pending.length > 0;
  }

  /** Writes `data` (which the inode takes ownership of) at `position`. */
  write(data: Uint8Array, position: number): void {
    this.#pending.push({ kind: 'write', position, data });
    this.current.write(data, position);
  }

  truncate(length: number): void {
    this.#pending.push({ kind: 'truncate', length });
    this.current.truncate(length);
  }

  /** A successful fsync: every pending change becomes durable. */
  sync(): void {
    for (const op of this.#pending) apply(this.durable, op);
    this.#pending = [];
  }

  /**
   * A failed fsync that clears the dirty state (Linux "fsyncgate"): the page cache still shows
   * the data, but it will never be written; a later sync succeeds without it.
   */
  dropDirty(): void {
    this.#pending = [];
  }

  /**
   * Power loss: a random selection of pending changes reaches the disk (in prefix mode the first
   * lost change is, half of the time, torn per sector); then the page cache is gone and `current` equals `durable`.
   */
  crash(rng: Prng, mode: CrashMode, sectorSize: number): void {
    const pending = this.#pending;
    if (mode === 'prefix') {
      const kept = rng.int(pending.length + 1);
      for (let i = 0; i < kept; i++) apply(this.durable, pending[i] as FileOp);
      if (kept < pending.length && rng.chance()) tear(this.durable, pending[kept] as FileOp, rng, sectorSize);
    } else {
      for (const op of pending) {
        const roll = rng.int(3);
        if (roll === 0) apply(this.durable, op);
        else if (roll === 1) tear(this.durable, op, rng, sectorSize);
      }
    }
    this.#pending = [];
    this.current = this.durable.clone();
  }
}

function apply(target: PagedBuffer, op: FileOp): void {
  if (op.kind === 'write') target.write(op.data, op.position);
  else target.truncate(op.length);
}

/**
 * Applies a random subset of the op's sectors. A torn write may also leave the file length at the
 * write's end with the missing sectors reading as zeros (metadata reached the disk, data did not).
 */
function tear(target: PagedBuffer, op: FileOp, rng: Prng, sectorSize: number): void {
  if (op.kind === 'truncate') {
    if (rng.chance()) target.truncate(op.length);
    return;
  }
  const end = op.position + op.data.byteLength;
  let at = op.position;
  while (at < end) {
    const next = Math.min(end, (Math.floor(at / sectorSize) + 1) * sectorSize);
    if (rng.chance()) target.write(op.data.subarray(at - op.position, next - op.position), at);
    at = next;
  }
  if (rng.chance() && target.size < end) target.truncate(end);
}
