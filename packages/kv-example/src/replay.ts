import type { Position, ReadOptions, Wal } from '@nori/wal';
import { keyId } from './bytes.js';
import { KvError } from './errors.js';
import type { KvIndex } from './kv-index.js';
import { decodeOperation } from './record-envelope.js';
import type { KvProgressEvent } from './types.js';

/** Log bytes replayed between two `replay` progress events. */
const REPLAY_PROGRESS_BYTES = 1 << 20;

/** What a replay applied. */
export interface ReplayResult {
  records: number;
  bytes: number;
  /** Puts whose TTL had already passed. */
  expired: number;
}

/**
 * Applies every WAL record from `from` (the snapshot's position; the log's start without one)
 * to `index`, in log order. Throws `ERR_ABORTED` if `signal` fires: a half-replayed index must
 * never be handed out.
 */
export async function replayLog(
  wal: Wal,
  index: KvIndex,
  from: Position | undefined,
  now: () => number,
  onProgress: ((event: KvProgressEvent) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<ReplayResult> {
  let total = 0;
  if (onProgress !== undefined) {
    for (const segment of await wal.segments()) {
      if (from === undefined || segment.id > from.segmentId) total += segment.size;
      else if (segment.id === from.segmentId) total += Math.max(0, segment.size - from.offset);
    }
  }
  let records = 0;
  let bytes = 0;
  let expired = 0;
  let nextReport = REPLAY_PROGRESS_BYTES;
  const at = now();
  // Recycled read buffers are enough: decodeOperation copies the value and keyId turns the key
  // into a string, so nothing the index keeps points into them.
  const readOptions: ReadOptions = { reuseBuffers: true };
  if (from !== undefined) readOptions.from = from;
  if (signal !== undefined) readOptions.signal = signal;
  for await (const entry of wal.read(readOptions)) {
    const operation = decodeOperation(entry);
    const id = keyId(operation.key);
    if (operation.kind === 'put') {
      if (!index.put(id, operation.value, operation.expiresAt, at)) expired++;
    } else {
      index.delete(id, at);
    }
    records++;
    bytes += entry.size;
    if (onProgress !== undefined && bytes >= nextReport) {
      nextReport = bytes + REPLAY_PROGRESS_BYTES;
      onProgress({ phase: 'replay', done: bytes, total: Math.max(total, bytes) });
    }
  }
  // An aborted read ends quietly; a half-replayed index must never be handed out.
  if (signal?.aborted === true) throw new KvError('ERR_ABORTED', 'opening the store was aborted', { cause: signal.reason });
  onProgress?.({ phase: 'replay', done: bytes, total: Math.max(total, bytes) });
  return { records, bytes, expired };
}
