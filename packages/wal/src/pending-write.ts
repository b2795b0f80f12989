import { WalError } from './errors.js';
import type { AppendResult, Position } from './types.js';

/** Life cycle of a pending write (a number: checked on every append). */
export const QUEUED = 0;
export const WAITING_ROOM = 1;
export const WAITING_SYNC = 2;
export const DONE = 3;

/** What the caller asked for besides the bytes (the `append`/`appendBatch` options). */
export interface WriteRequest {
  readonly durable?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Settles the caller's promise. */
export interface Settle<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: Error) => void;
}

/** Fields every pending write carries; the writer fills in where it was written. */
interface WriteState {
  state: number;
  segmentId: number;
  offset: number;
  /** Sequence number of the (first) record, once written. */
  index: number;
  abortListener: (() => void) | undefined;
  /** Encoded bytes (0 for a sync marker). */
  readonly bytes: number;
  readonly records: number;
  readonly durable: boolean;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (value: never) => void;
  readonly reject: (error: Error) => void;
}

/** One `append`: one encoded record. */
export interface RecordWrite extends WriteState {
  readonly kind: 'record';
  readonly buffer: Uint8Array;
  readonly buffers: undefined;
}

/** One `appendBatch`: encoded records written together, never split across segments. */
export interface BatchWrite extends WriteState {
  readonly kind: 'batch';
  readonly buffer: undefined;
  readonly buffers: Uint8Array[];
}

/** One `sync()` (or close): no bytes, resolves with the durable position. */
export interface SyncMarker extends WriteState {
  readonly kind: 'sync';
  readonly buffer: undefined;
  readonly buffers: undefined;
}

/** One `append`, `appendBatch` or `sync` waiting for the writer. */
export type PendingWrite = RecordWrite | BatchWrite | SyncMarker;

// The factories below build object literals with the same properties in the same order, so the
// writer's hot loop sees one shape (one hidden class) whatever the kind. No intermediate objects:
// one allocation per append.

/** A pending `append` of one encoded record. */
export function recordWrite(
  buffer: Uint8Array,
  request: WriteRequest | undefined,
  resolve: (value: AppendResult) => void,
  reject: (error: Error) => void,
): RecordWrite {
  return {
    kind: 'record',
    state: QUEUED,
    segmentId: 0,
    offset: 0,
    index: 0,
    abortListener: undefined,
    buffer,
    buffers: undefined,
    bytes: buffer.length,
    records: 1,
    durable: request?.durable === true,
    signal: request?.signal,
    resolve,
    reject,
  };
}

/** Whatever accepts pending writes (the writer). */
export interface WriteSink {
  enqueue(p: PendingWrite): void;
}

// `new Promise(capture)` hands its resolve/reject to these slots; the caller reads them right
// after the constructor returns (it runs the executor synchronously). One shared executor
// instead of a closure allocated per append.
let capturedResolve: (value: never) => void = () => undefined;
let capturedReject: (error: Error) => void = () => undefined;
function capture(resolve: (value: never) => void, reject: (error: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** Hands `sink` a pending `append` of one encoded record; resolves with its result. */
export function submitRecord(sink: WriteSink, buffer: Uint8Array, request: WriteRequest | undefined): Promise<AppendResult> {
  const promise = new Promise<AppendResult>(capture);
  sink.enqueue(recordWrite(buffer, request, capturedResolve as (value: AppendResult) => void, capturedReject));
  return promise;
}

/** A pending `appendBatch` of encoded records (`bytes`: their total length). */
export function batchWrite(buffers: Uint8Array[], bytes: number, request: WriteRequest | undefined, settle: Settle<AppendResult[]>): BatchWrite {
  return {
    kind: 'batch',
    state: QUEUED,
    segmentId: 0,
    offset: 0,
    index: 0,
    abortListener: undefined,
    buffer: undefined,
    buffers,
    bytes,
    records: buffers.length,
    durable: request?.durable === true,
    signal: request?.signal,
    resolve: settle.resolve,
    reject: settle.reject,
  };
}

/** A `sync()` marker: resolves once everything queued before it is durable. */
export function syncMarker(settle: Settle<Position>): SyncMarker {
  return {
    kind: 'sync',
    state: QUEUED,
    segmentId: 0,
    offset: 0,
    index: 0,
    abortListener: undefined,
    buffer: undefined,
    buffers: undefined,
    bytes: 0,
    records: 0,
    durable: true,
    signal: undefined,
    resolve: settle.resolve,
    reject: settle.reject,
  };
}

/** Stops listening for the caller's abort (the write is committed or settled). */
export function detachAbort(p: PendingWrite): void {
  if (p.abortListener !== undefined && p.signal !== undefined) {
    p.signal.removeEventListener('abort', p.abortListener);
    p.abortListener = undefined;
  }
}

/** The `ERR_ABORTED` error of a write aborted before it was written. */
export function abortError(signal: AbortSignal): WalError {
  return new WalError('ERR_ABORTED', 'append aborted before the record was written', { cause: signal.reason });
}

/** The resolution value of a written append: one result, or one per record of a batch. */
export function positionsOf(p: RecordWrite | BatchWrite): AppendResult | AppendResult[] {
  if (p.kind === 'record') return { index: p.index, position: { segmentId: p.segmentId, offset: p.offset } };
  const results: AppendResult[] = new Array<AppendResult>(p.buffers.length);
  let offset = p.offset;
  for (let i = 0; i < p.buffers.length; i++) {
    results[i] = { index: p.index + i, position: { segmentId: p.segmentId, offset } };
    offset += (p.buffers[i] as Uint8Array).length;
  }
  return results;
}
