import { MemoryStorage, NodeFileStorage, type Storage } from '@nori/storage';
import { expectByteArrays, tempDir } from '@nori/test-support';
import { describe, expect, it } from 'vitest';
import { Wal, type ReadOptions } from '../src/index.js';

/** Copies key and value of every entry at once: with reuseBuffers that is all an entry allows. */
async function readCopies(wal: Wal, options: ReadOptions): Promise<{ keys: number[]; values: Uint8Array[]; buffers: Set<ArrayBufferLike> }> {
  const keys: number[] = [];
  const values: Uint8Array[] = [];
  const buffers = new Set<ArrayBufferLike>();
  for await (const entry of wal.read(options)) {
    keys.push(Number(new TextDecoder().decode(entry.key).slice(1)));
    values.push(entry.value.slice());
    buffers.add(entry.value.buffer);
  }
  return { keys, values, buffers };
}

/** ~7.5 MiB of 1 KiB records around one record larger than a chunk (1 MiB), patterns per record. */
async function appendMixedLog(wal: Wal): Promise<Uint8Array[]> {
  const values = Array.from({ length: 6000 }, (_, i) => new Uint8Array(i === 1500 ? 1_500_000 : 1000).fill(i % 251));
  for (let i = 0; i < values.length; i += 500) {
    await wal.appendBatch(values.slice(i, i + 500).map((value, j) => ({ key: `k${i + j}`, value })));
  }
  return values;
}

describe('read({ reuseBuffers: true })', () => {
  for (const backend of ['memory', 'file'] as const) {
    it(`reads every record exactly as the default read does (${backend} storage)`, async () => {
      await using dir = await tempDir();
      const storage: Storage = backend === 'memory' ? new MemoryStorage() : new NodeFileStorage(dir.dir);
      const { wal } = await Wal.open({ storage, fsync: 'os', maxSegmentSize: 3 * 1024 * 1024 });
      const values = await appendMixedLog(wal);
      const reused = await readCopies(wal, { reuseBuffers: true });
      expect(reused.keys).toEqual(values.map((_, i) => i));
      expectByteArrays(reused.values, values, 'values read with reuseBuffers');
      await wal.close();
    });
  }

  it('recycles its buffers instead of allocating one per chunk', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os' });
    await appendMixedLog(wal);
    await appendMixedLog(wal);
    const reused = await readCopies(wal, { reuseBuffers: true });
    const stable = await readCopies(wal, {});
    // ~15 MiB: a new buffer per chunk read by default; two chunk buffers, the large record's and
    // the first fill's (before a prefetch ran) with reuseBuffers.
    expect(stable.buffers.size).toBeGreaterThanOrEqual(10);
    expect(reused.buffers.size).toBeLessThanOrEqual(4);
    await wal.close();
  });

  it('follows appends across rotations and chunk boundaries', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os', maxSegmentSize: 256 * 1024 });
    const count = 3000;
    const stop = new AbortController();
    const reading = (async () => {
      const got: Uint8Array[] = [];
      for await (const entry of wal.read({ reuseBuffers: true, follow: true, signal: stop.signal })) {
        got.push(entry.value.slice());
        if (got.length === count) stop.abort();
      }
      return got;
    })();
    const values = Array.from({ length: count }, (_, i) => new Uint8Array(700 + (i % 700)).fill(i % 253));
    for (let i = 0; i < count; i += 100) {
      await wal.appendBatch(values.slice(i, i + 100).map((value, j) => ({ key: `k${i + j}`, value })));
      if (i % 700 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(wal.stats().segments).toBeGreaterThan(5);
    expectByteArrays(await reading, values, 'values a following reader saw');
    await wal.close();
  });

  it('excludes copy: true', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os' });
    const error = await readCopies(wal, { copy: true, reuseBuffers: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringContaining('reuseBuffers') });
    await wal.close();
  });
});
