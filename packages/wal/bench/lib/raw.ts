import { closeSync, fdatasyncSync, openSync, readSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { crc32c, encodeRecordInto, type RecordInput } from '@nori/codec';

/** What one timed run did: `units` operations (records, batches) moving `bytes` in `ms`. */
export interface Sample {
  readonly units: number;
  readonly bytes: number;
  readonly ms: number;
}

/** Limits of one rate run: stop at whichever comes first. */
export interface RunBudget {
  readonly ms: number;
  readonly maxBytes: number;
}

/** How a raw baseline makes its writes durable. */
export type RawSync = { readonly kind: 'none' } | { readonly kind: 'each' } | { readonly kind: 'every'; readonly ms: number };

/**
 * Baseline for appends: one positional `fs.writeSync` per record to a fresh file (the file is
 * deleted afterwards), optionally `fdatasync` after each record or every `ms` milliseconds.
 */
export function rawAppend(path: string, record: Uint8Array, budget: RunBudget, sync: RawSync): Sample {
  const fd = openSync(path, 'w');
  try {
    let position = 0;
    let count = 0;
    const start = performance.now();
    const deadline = start + budget.ms;
    let lastSync = start;
    for (;;) {
      writeSync(fd, record, 0, record.length, position);
      position += record.length;
      count++;
      if (sync.kind === 'each') fdatasyncSync(fd);
      if (sync.kind === 'each' || (count & 15) === 0) {
        const now = performance.now();
        if (sync.kind === 'every' && now - lastSync >= sync.ms) {
          fdatasyncSync(fd);
          lastSync = now;
        }
        if (position >= budget.maxBytes || now >= deadline) break;
      }
    }
    return { units: count, bytes: position, ms: performance.now() - start };
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

/**
 * The floor of one awaited `os` append: per record, encode `input` into a reused buffer
 * (`encodeRecordInto`: fields, CRC), one positional `fs.writeSync`, and a promise resolved with
 * an `{ index, position }` result that the loop awaits. What a WAL that writes each awaited
 * append before acknowledging it cannot avoid; the rest of `append`'s cost is the WAL's own.
 */
export async function rawAppendFloor(path: string, input: RecordInput, budget: RunBudget): Promise<Sample> {
  const fd = openSync(path, 'w');
  const buffer = new Uint8Array(1024 * 1024);
  try {
    let position = 0;
    let count = 0;
    const step = (): Promise<{ index: number; position: { segmentId: number; offset: number } }> =>
      new Promise((resolve) => {
        const size = encodeRecordInto(input, buffer, 0);
        writeSync(fd, buffer, 0, size, position);
        resolve({ index: count, position: { segmentId: 0, offset: position } });
        position += size;
      });
    const start = performance.now();
    const deadline = start + budget.ms;
    for (;;) {
      await step();
      count++;
      if ((count & 15) === 0 && (position >= budget.maxBytes || performance.now() >= deadline)) break;
    }
    return { units: count, bytes: position, ms: performance.now() - start };
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

/**
 * Baseline for batches: one `fs.writevSync` of all `buffers` per batch to a fresh file, then
 * `fdatasync` when `sync` is set. Units are batches.
 */
export function rawWritev(path: string, buffers: readonly Uint8Array[], budget: RunBudget, sync: boolean): Sample {
  const batchBytes = buffers.reduce((sum, b) => sum + b.length, 0);
  const fd = openSync(path, 'w');
  try {
    let position = 0;
    let count = 0;
    const start = performance.now();
    const deadline = start + budget.ms;
    for (;;) {
      let written = 0;
      while (written < batchBytes) {
        // writev may write less than asked for large batches; finish the batch like a WAL must.
        written += written === 0 ? writevSync(fd, buffers, position) : writeRest(fd, buffers, written, position + written);
      }
      position += batchBytes;
      count++;
      if (sync) fdatasyncSync(fd);
      if (position >= budget.maxBytes || performance.now() >= deadline) break;
    }
    return { units: count, bytes: position, ms: performance.now() - start };
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

function writeRest(fd: number, buffers: readonly Uint8Array[], skip: number, position: number): number {
  let offset = skip;
  for (const b of buffers) {
    if (offset >= b.length) {
      offset -= b.length;
      continue;
    }
    return writeSync(fd, b, offset, b.length - offset, position);
  }
  return 0;
}

/**
 * Baseline for reads: reads `files` front to back with `fs.readSync` in `chunkBytes` chunks,
 * at most `limits[i]` bytes of file `i` (default: to end of file).
 */
export function rawRead(files: readonly string[], limits?: readonly number[], chunkBytes = 1 << 20): Sample {
  const buffer = Buffer.allocUnsafe(chunkBytes);
  let bytes = 0;
  let chunks = 0;
  const start = performance.now();
  files.forEach((file, i) => {
    const limit = limits?.[i] ?? Number.POSITIVE_INFINITY;
    const fd = openSync(file, 'r');
    try {
      let position = 0;
      while (position < limit) {
        const n = readSync(fd, buffer, 0, Math.min(chunkBytes, limit - position), position);
        if (n === 0) break;
        position += n;
        chunks++;
      }
      bytes += position;
    } finally {
      closeSync(fd);
    }
  });
  return { units: chunks, bytes, ms: performance.now() - start };
}

/** Baseline for recovery: the codec's `crc32c` over `chunks` (already in memory). */
export function rawCrc(chunks: readonly Uint8Array[]): Sample {
  let bytes = 0;
  let sink = 0;
  const start = performance.now();
  for (const chunk of chunks) {
    sink ^= crc32c(chunk);
    bytes += chunk.length;
  }
  const ms = performance.now() - start;
  if (sink === 0.5) throw new Error('unreachable: keeps the CRC loop from being optimised away');
  return { units: chunks.length, bytes, ms };
}
