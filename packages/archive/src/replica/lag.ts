import type { ListedChunk } from '../read/catalog.js';
import { CHUNK_HEADER_SIZE } from '../layout/index.js';

/** How far a replica is behind the archive (as of its last listing). */
export interface ReplicaLag {
  /**
   * `createdAt` of the newest listed chunk minus that of the last applied one, in seconds (0 when
   * caught up): how much shipping time the replica has not applied yet.
   */
  seconds: number;
  /** Chunks listed but not applied yet. */
  chunks: number;
  /** Their payload bytes. */
  bytes: number;
  /** Seq of the last applied chunk (undefined before the first). */
  appliedSeq: number | undefined;
  /** Seq of the newest chunk seen in the store. */
  newestSeq: number | undefined;
  /** When the replica last listed the store (ms since the epoch; undefined before the first listing). */
  polledAt: number | undefined;
}

/** Bookkeeping behind {@link ReplicaLag}: listed chunks not applied yet, and chunk times. */
export class LagTracker {
  /** Listed chunks; those before `head` are applied. */
  private pending: ListedChunk[] = [];
  private head = 0;
  private appliedSeq: number | undefined;
  private appliedCreatedAt: number | undefined;
  private newestSeq: number | undefined;
  private polledAt: number | undefined;
  /** createdAt of the newest listed chunk, once known (read lazily by `lag()`). */
  newestCreatedAt: number | undefined;

  /** A listing found `chunks` (in seq order) after the last seq asked for. */
  listed(chunks: readonly ListedChunk[], at: number): void {
    this.polledAt = at;
    const last = chunks.at(-1);
    if (last === undefined) return;
    for (const chunk of chunks) this.pending.push(chunk);
    if (this.newestSeq === undefined || last.seq > this.newestSeq) {
      this.newestSeq = last.seq;
      this.newestCreatedAt = undefined;
    }
  }

  /** Chunk `seq` was applied. */
  applied(seq: number, createdAt: number): void {
    this.appliedSeq = seq;
    this.appliedCreatedAt = createdAt;
    while (this.head < this.pending.length && (this.pending[this.head] as ListedChunk).seq <= seq) this.head++;
    // Drop the applied ones now and then (not on every chunk: a long catch-up stays linear).
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    if (seq === this.newestSeq) this.newestCreatedAt = createdAt;
  }

  /** The seq whose header `lag()` must read to know `newestCreatedAt`, if any. */
  get unknownNewest(): number | undefined {
    return this.newestCreatedAt === undefined && this.head < this.pending.length ? this.newestSeq : undefined;
  }

  snapshot(): ReplicaLag {
    const waiting = this.pending.slice(this.head);
    const behind = waiting.length;
    const seconds =
      behind === 0 || this.newestCreatedAt === undefined || this.appliedCreatedAt === undefined
        ? 0
        : Math.max(0, this.newestCreatedAt - this.appliedCreatedAt) / 1000;
    return {
      seconds,
      chunks: behind,
      bytes: waiting.reduce((sum, c) => sum + Math.max(0, c.size - CHUNK_HEADER_SIZE), 0),
      appliedSeq: this.appliedSeq,
      newestSeq: this.newestSeq,
      polledAt: this.polledAt,
    };
  }
}
