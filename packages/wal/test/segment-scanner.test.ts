import { encodeRecord } from '@nori/codec';
import type { StorageFile } from '@nori/storage';
import { expectByteArrays } from '@nori/test-support';
import { describe, expect, it, vi } from 'vitest';
import type * as ChunkMemory from '../src/chunk-memory.js';
import { SegmentScanner } from '../src/segment-scanner.js';

/** Memory a read never wrote: uninitialized buffers come filled with this byte here, not whatever malloc left. */
const STALE = 0xaa;
vi.mock('../src/chunk-memory.js', async (load) => {
  const real = await load<typeof ChunkMemory>();
  return { ...real, uninitializedBytes: (size: number) => real.uninitializedBytes(size).fill(STALE) };
});

interface ReadCall {
  position: number;
  length: number;
  /** The scanner's limit when the read was issued. */
  limit: number;
}

/**
 * A read-only in-memory file that logs every read, can fail reads touching chosen offsets and can
 * hold reads until the test lets them through.
 */
class FakeFile implements StorageFile {
  readonly name = 'fake';
  readonly reads: ReadCall[] = [];
  failAt: number | undefined;
  /** Fail only the first read touching `failAt` (a transient error). */
  failOnce = false;
  hold = false;
  private readonly held: (() => void)[] = [];
  scanner: SegmentScanner | undefined;

  constructor(public bytes: Uint8Array) {}

  get pending(): number {
    return this.held.length;
  }

  /** Lets every held read finish. */
  releaseReads(): void {
    for (const go of this.held.splice(0)) go();
  }

  async read(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
    this.reads.push({ position, length, limit: this.scanner?.limit ?? Infinity });
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    else await Promise.resolve();
    if (this.failAt !== undefined && position <= this.failAt && this.failAt < position + length) {
      const at = this.failAt;
      if (this.failOnce) this.failAt = undefined;
      throw new Error(`injected read error at ${at}`);
    }
    const n = Math.max(0, Math.min(length, this.bytes.length - position));
    target.set(this.bytes.subarray(position, position + n), targetOffset);
    return n;
  }

  readSync(): number {
    throw new Error('not used');
  }
  writevSync(): void {
    throw new Error('read-only');
  }
  writev(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }
  size(): Promise<number> {
    return Promise.resolve(this.bytes.length);
  }
  truncate(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }
  datasync(): Promise<void> {
    return Promise.resolve();
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
  preallocate(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Records of varied sizes (some larger than the chunk), their bytes back to back, and their offsets. */
function makeLog(sizes: readonly number[]): { bytes: Uint8Array; values: Uint8Array[]; offsets: number[] } {
  const values = sizes.map((size, i) => new Uint8Array(size).fill((i * 37 + 11) % 251));
  const encoded = values.map((value, i) => encodeRecord({ key: `key-${i}`, value }));
  const bytes = new Uint8Array(encoded.reduce((sum, e) => sum + e.length, 0));
  const offsets: number[] = [];
  let at = 0;
  for (const e of encoded) {
    offsets.push(at);
    bytes.set(e, at);
    at += e.length;
  }
  return { bytes, values, offsets };
}

const SIZES = Array.from({ length: 60 }, (_, i) => [10, 90, 300, 700, 40, 1500, 5][i % 7]!);

function scannerOn(file: FakeFile, start: number, limit: number, chunkSize = 256): SegmentScanner {
  const scanner = new SegmentScanner({ maxRecordSize: 1 << 20, chunkSize, stableChunks: true });
  file.scanner = scanner;
  scanner.open(file, start, limit);
  return scanner;
}

/** Steps and fills until a status other than `ok`/`need-data` (or a failed fill); returns views and offsets. */
async function drain(scanner: SegmentScanner): Promise<{ status: string; values: Uint8Array[]; offsets: number[]; fills: boolean[] }> {
  const values: Uint8Array[] = [];
  const offsets: number[] = [];
  const fills: boolean[] = [];
  for (;;) {
    const status = scanner.step();
    if (status === 'ok') {
      values.push(scanner.records.value(false));
      offsets.push(scanner.recordOffset);
    } else if (status === 'need-data') {
      const filled = await scanner.fill();
      fills.push(filled);
      if (!filled) return { status: 'short', values, offsets, fills };
    } else {
      return { status, values, offsets, fills };
    }
  }
}

describe('SegmentScanner double buffering (stableChunks)', () => {
  it('reads every record across chunk and prefetch boundaries, never past the limit, views stay valid', async () => {
    const log = makeLog(SIZES);
    const file = new FakeFile(log.bytes);
    const scanner = scannerOn(file, 0, log.bytes.length);
    const result = await drain(scanner);
    expect(result.status).toBe('end');
    expect(result.offsets).toEqual(log.offsets);
    // Views into earlier chunks still hold their bytes (prefetch buffers are never reused).
    expectByteArrays(result.values, log.values);
    for (const read of file.reads) expect(read.position + read.length).toBeLessThanOrEqual(read.limit);
    // Double buffering: most chunks came from a read started before the fill that used them.
    expect(file.reads.length).toBeGreaterThan(result.fills.length / 2);
  });

  it('starts the next chunk read as soon as a chunk arrives', async () => {
    const log = makeLog(SIZES);
    const file = new FakeFile(log.bytes);
    const scanner = scannerOn(file, 0, log.bytes.length);
    expect(scanner.step()).toBe('need-data');
    expect(await scanner.fill()).toBe(true);
    expect(file.reads.map((r) => r.position)).toEqual([0, 256]);
    // Parsing needs no I/O; the next fill takes the prefetched bytes without a new read.
    while (scanner.step() === 'ok');
    expect(await scanner.fill()).toBe(true);
    expect(file.reads.map((r) => r.position)).toEqual([0, 256, 512]);
  });

  it('uses the prefetched bytes and reads the rest when the limit grows between fills', async () => {
    const log = makeLog(SIZES);
    const file = new FakeFile(log.bytes);
    // A limit at a record boundary that is not a chunk multiple, like a follower's written position.
    const first = log.offsets[9]!;
    const scanner = scannerOn(file, 0, first);
    expect(scanner.step()).toBe('need-data');
    expect(await scanner.fill()).toBe(true);
    // The prefetch started with the old limit in force; the limit grows while it is in flight.
    scanner.setLimit(log.offsets[30]!);
    let result = await drain(scanner);
    expect(result.status).toBe('end');
    expect(result.offsets).toEqual(log.offsets.slice(0, 30));
    // Grows again at the end (follow mode), then to the whole file.
    scanner.setLimit(log.bytes.length);
    const rest = await drain(scanner);
    expect(rest.status).toBe('end');
    result = { ...result, offsets: [...result.offsets, ...rest.offsets], values: [...result.values, ...rest.values] };
    expect(result.offsets).toEqual(log.offsets);
    expectByteArrays(result.values, log.values);
    for (const read of file.reads) expect(read.position + read.length).toBeLessThanOrEqual(read.limit);
    expect(file.reads.some((r) => r.limit === first && r.position > 0)).toBe(true);
  });

  it('a short file keeps the EOF semantics: fill returns false and the limit shrinks to the end', async () => {
    const log = makeLog(SIZES);
    // The file ends in the middle of a record, before the limit the scanner was given.
    const cut = log.offsets[41]! + 3;
    const file = new FakeFile(log.bytes.slice(0, cut));
    const scanner = scannerOn(file, 0, log.bytes.length);
    const result = await drain(scanner);
    expect(result.status).toBe('short');
    expect(result.fills.at(-1)).toBe(false);
    expect(scanner.limit).toBe(cut);
    expect(result.offsets).toEqual(log.offsets.slice(0, 41));
    expect(scanner.step()).toBe('torn');
    expect(scanner.badOffset).toBe(log.offsets[41]);
  });

  it('a read error in the prefetched range surfaces at the fill that needs those bytes', async () => {
    const log = makeLog(SIZES);
    const file = new FakeFile(log.bytes);
    file.failAt = 300; // inside the second chunk, which is prefetched
    file.failOnce = true; // the prefetch's error itself must surface, not a retry's
    const scanner = scannerOn(file, 0, log.bytes.length);
    expect(scanner.step()).toBe('need-data');
    expect(await scanner.fill()).toBe(true);
    let records = 0;
    let status = scanner.step();
    for (; status === 'ok'; status = scanner.step()) records++;
    expect(records).toBeGreaterThan(0);
    expect(status).toBe('need-data');
    await expect(scanner.fill()).rejects.toThrow('injected read error at 300');
    // The records before the damage were all yielded.
    expect(scanner.offset).toBeLessThanOrEqual(300);
  });

  it('a failed prefetch the scan never needs is dropped quietly (reopen, release)', async () => {
    const log = makeLog(SIZES);
    const file = new FakeFile(log.bytes);
    file.failAt = 300;
    const scanner = scannerOn(file, 0, log.bytes.length);
    expect(scanner.step()).toBe('need-data');
    expect(await scanner.fill()).toBe(true);
    scanner.open(file, 0, log.offsets[2]!);
    file.failAt = undefined;
    const result = await drain(scanner);
    expect(result.status).toBe('end');
    expect(result.offsets).toEqual(log.offsets.slice(0, 2));
    file.failAt = 300;
    scanner.open(file, 0, log.bytes.length);
    expect(scanner.step()).toBe('need-data');
    expect(await scanner.fill()).toBe(true);
    scanner.release();
    await scanner.idle();
  });

  it('idle() waits for a dropped prefetch still reading the file', async () => {
    const log = makeLog(SIZES);
    const file = new FakeFile(log.bytes);
    const scanner = scannerOn(file, 0, log.bytes.length);
    expect(scanner.step()).toBe('need-data');
    const filled = scanner.fill(); // issues the first read now
    file.hold = true;
    expect(await filled).toBe(true);
    expect(file.pending).toBe(1); // the prefetch
    scanner.release();
    let idle = false;
    const waiting = scanner.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    file.releaseReads();
    await waiting;
    expect(idle).toBe(true);
  });

  it('records larger than a chunk still work with a prefetch in flight', async () => {
    const log = makeLog([100, 5000, 50, 12_000, 3, 700, 20_000, 1]);
    const file = new FakeFile(log.bytes);
    const scanner = scannerOn(file, 0, log.bytes.length, 1024);
    const result = await drain(scanner);
    expect(result.status).toBe('end');
    expect(result.offsets).toEqual(log.offsets);
    expectByteArrays(result.values, log.values);
    for (const read of file.reads) expect(read.position + read.length).toBeLessThanOrEqual(read.limit);
  });
});

describe('SegmentScanner double buffering with recycled buffers (doubleBuffered, recovery)', () => {
  /** A FakeFile that also records which buffers reads went into. */
  class TrackingFile extends FakeFile {
    readonly targets = new Set<ArrayBufferLike>();
    override read(target: Uint8Array, targetOffset: number, length: number, position: number): Promise<number> {
      this.targets.add(target.buffer);
      return super.read(target, targetOffset, length, position);
    }
  }

  function recyclingScanner(file: FakeFile, limit: number, chunkSize = 256): SegmentScanner {
    const scanner = new SegmentScanner({ maxRecordSize: 1 << 20, chunkSize, doubleBuffered: true });
    file.scanner = scanner;
    scanner.open(file, 0, limit);
    return scanner;
  }

  it('finds every record with the read of the next chunk started by each fill, in two buffers', async () => {
    const log = makeLog(SIZES.filter((size) => size <= 200));
    const file = new TrackingFile(log.bytes);
    const scanner = recyclingScanner(file, log.bytes.length);
    const offsets: number[] = [];
    const values: Uint8Array[] = [];
    for (let status = scanner.step(); status !== 'end'; status = scanner.step()) {
      expect(status).not.toMatch(/corrupt|torn/);
      if (status === 'ok') {
        offsets.push(scanner.recordOffset);
        values.push(scanner.records.value(true));
      } else {
        expect(await scanner.fill()).toBe(true);
      }
    }
    expect(offsets).toEqual(log.offsets);
    expectByteArrays(values, log.values);
    // Prefetching: the first fill already asked for the second chunk.
    expect(file.reads.slice(0, 2).map((r) => r.position)).toEqual([0, 256]);
    // Recycling: many chunks, two buffers (stable mode would use one per chunk).
    expect(file.reads.length).toBeGreaterThan(4);
    expect(file.targets.size).toBe(2);
    for (const read of file.reads) expect(read.position + read.length).toBeLessThanOrEqual(read.limit);
  });

  it("reads the next file's first chunk ahead; opening that file at that offset takes the read over", async () => {
    const first = makeLog(SIZES.filter((size) => size <= 200));
    const second = makeLog(SIZES.filter((size) => size <= 200).reverse());
    const a = new TrackingFile(first.bytes);
    const b = new TrackingFile(second.bytes);
    const scanner = recyclingScanner(a, first.bytes.length);
    scanner.prefetchFirstChunk(b, 0, second.bytes.length);
    expect(b.reads.map((r) => r.position)).toEqual([0]);
    // Scanning the current file neither waits for nor drops the other file's read.
    expect((await drain(scanner)).offsets).toEqual(first.offsets);
    await scanner.idle();
    scanner.release();
    scanner.open(b, 0, second.bytes.length);
    // Views of recycled buffers last until the next fill: copies are compared.
    const values: Uint8Array[] = [];
    for (let status = scanner.step(); status !== 'end'; status = scanner.step()) {
      expect(status).not.toMatch(/corrupt|torn/);
      if (status === 'ok') values.push(scanner.records.value(true));
      else expect(await scanner.fill()).toBe(true);
    }
    expectByteArrays(values, second.values);
    // The first fill used the chunk read ahead: no second read at offset 0.
    expect(b.reads.filter((r) => r.position === 0)).toHaveLength(1);
  });

  it('a first chunk read ahead is dropped by an open elsewhere in its file, or by dropFirstChunk (which waits for the read)', async () => {
    const log = makeLog(SIZES.filter((size) => size <= 200));
    const file = new TrackingFile(log.bytes);
    const scanner = new SegmentScanner({ maxRecordSize: 1 << 20, chunkSize: 256, doubleBuffered: true });
    file.scanner = scanner;
    scanner.prefetchFirstChunk(file, 0, log.bytes.length);
    scanner.open(file, log.offsets[5]!, log.bytes.length);
    const result = await drain(scanner);
    expect(result.offsets).toEqual(log.offsets.slice(5));
    expect(file.reads.filter((r) => r.position === log.offsets[5])).toHaveLength(1);

    const held = new TrackingFile(log.bytes);
    held.hold = true;
    scanner.prefetchFirstChunk(held, 0, log.bytes.length);
    let dropped = false;
    const drop = scanner.dropFirstChunk(held).then(() => (dropped = true));
    await Promise.resolve();
    expect(dropped).toBe(false);
    held.releaseReads();
    await drop;
    expect(dropped).toBe(true);
  });

  it("records larger than a chunk come out whole; memory: two chunk buffers and the largest record's", async () => {
    // Record sizes grow three times (5000, 12000, 20000), then smaller large ones reuse the largest buffer.
    const log = makeLog([100, 5000, 50, 12_000, 3, 700, 20_000, 1, 6000, 9000, 40, 15_000, 2]);
    const file = new TrackingFile(log.bytes);
    const scanner = recyclingScanner(file, log.bytes.length, 1024);
    const offsets: number[] = [];
    const values: Uint8Array[] = [];
    for (let status = scanner.step(); status !== 'end'; status = scanner.step()) {
      if (status === 'ok') {
        offsets.push(scanner.recordOffset);
        values.push(scanner.records.value(true));
      } else {
        expect(status).toBe('need-data');
        expect(await scanner.fill()).toBe(true);
      }
    }
    expect(offsets).toEqual(log.offsets);
    expectByteArrays(values, log.values);
    expect(file.targets.size).toBeLessThanOrEqual(2 + 3);
  });
});

describe('SegmentScanner buffers come uninitialized, yet no view exposes memory a read did not write', () => {
  const modes = [
    { name: 'stableChunks (readers)', options: { stableChunks: true } },
    { name: 'doubleBuffered (recovery)', options: { doubleBuffered: true } },
    { name: 'one reused buffer (point reads)', options: {} },
  ] as const;
  for (const mode of modes) {
    it(`${mode.name}: every byte of a record view's ArrayBuffer is zero or the file's byte there`, async () => {
      const log = makeLog(SIZES);
      const file = new FakeFile(log.bytes);
      const scanner = new SegmentScanner({ maxRecordSize: 1 << 20, chunkSize: 1024, ...mode.options });
      // Start mid-log and stop short of its end: the reserve in front and the tail are never read.
      const start = log.offsets[3]!;
      const limit = log.offsets[50]!;
      scanner.open(file, start, limit);
      let records = 0;
      for (;;) {
        const status = scanner.step();
        if (status === 'need-data') {
          await scanner.fill();
          continue;
        }
        if (status !== 'ok') break;
        records++;
        const view = scanner.records.value(false);
        const whole = new Uint8Array(view.buffer);
        const base = scanner.recordOffset - scanner.records.recordStart;
        for (let i = 0; i < whole.length; i++) {
          const at = base + i;
          const fileByte = at >= start && at < limit ? log.bytes[at] : 0;
          if (whole[i] !== 0 && whole[i] !== fileByte) {
            throw new Error(`byte ${i} of the buffer (file offset ${at}) is ${whole[i]}, not 0 or the file's ${fileByte}`);
          }
        }
      }
      expect(records).toBe(47);
    });
  }
});
