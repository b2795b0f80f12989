import type { Position } from '@nori/wal';
import type { ArchiveError } from '../src/index.js';
import {
  ChunkKind,
  MemoryObjectStore,
  decodeChunkHeader,
  type CallOptions,
  type GetOptions,
  type GetResult,
  type ListOptions,
  type ObjectInfo,
  type ObjectStore,
  type ObjectSummary,
  type PutOptions,
} from '../src/index.js';

/** A data chunk range known to be in the store. */
export interface StoredRange {
  segmentId: number;
  offset: number;
  end: number;
}

/**
 * A memory store that records, synchronously as each put of a data chunk succeeds, which segment
 * range it holds; puts can be held at a gate (to keep one "in flight") or refused for good.
 */
export class RecordingStore implements ObjectStore {
  readonly inner = new MemoryObjectStore();
  readonly ranges: StoredRange[] = [];
  dataPuts = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private waitingAtGate = 0;
  private gateReached: (() => void) | undefined;
  /** When set, every put fails with this (non-retryable) error. */
  denyPuts: ArchiveError | undefined;

  /** Holds every put that starts from now on until {@link RecordingStore.release}. */
  hold(): void {
    this.gate ??= new Promise<void>((resolve) => {
      this.openGate = resolve;
    });
  }

  /** Lets held puts go on (and new ones pass). */
  release(): void {
    this.openGate?.();
    this.gate = undefined;
    this.openGate = undefined;
  }

  /** Resolves once `count` puts are waiting at the gate. */
  async heldPuts(count: number): Promise<void> {
    while (this.waitingAtGate < count) {
      await new Promise<void>((resolve) => {
        this.gateReached = resolve;
      });
    }
  }

  /** True when a stored data chunk holds the record that starts at `position`. */
  holds(position: Position): boolean {
    return this.ranges.some((r) => r.segmentId === position.segmentId && r.offset <= position.offset && position.offset < r.end);
  }

  async put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<ObjectInfo> {
    if (this.gate !== undefined) {
      this.waitingAtGate++;
      this.gateReached?.();
      await this.gate;
      this.waitingAtGate--;
    }
    if (this.denyPuts !== undefined) throw this.denyPuts;
    const info = await this.inner.put(key, bytes, options);
    const header = key.includes('/chunks/') ? decodeChunkHeader(bytes, key) : undefined;
    if (header?.kind === ChunkKind.data) {
      this.dataPuts++;
      this.ranges.push({ segmentId: header.segmentId, offset: header.offset, end: header.offset + header.payloadLength });
    }
    return info;
  }

  get(key: string, options?: GetOptions): Promise<GetResult> {
    return this.inner.get(key, options);
  }

  head(key: string, options?: CallOptions): Promise<ObjectInfo> {
    return this.inner.head(key, options);
  }

  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectSummary> {
    return this.inner.list(prefix, options);
  }

  delete(key: string, options?: CallOptions): Promise<void> {
    return this.inner.delete(key, options);
  }
}
