import { NodeFileStorage } from '@nori/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { Wal, type WalEntry } from '../src/index.js';
import { indexOf, record, tempDir } from '@nori/test-support';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function filledWal(records: number, maxSegmentSize = 16 * 1024 * 1024): Promise<Wal> {
  const { dir, cleanup } = await tempDir();
  cleanups.push(cleanup);
  const { wal } = await Wal.open({ storage: new NodeFileStorage(dir), fsync: 'os', maxSegmentSize });
  cleanups.unshift(() => wal.close());
  for (let i = 0; i < records; i++) await wal.append(record(i, 100));
  return wal;
}

/** Which settles first: `step` or a callback queued on an already-resolved promise after it. */
function settlesFirst(step: Promise<unknown>): Promise<'step' | 'microtask'> {
  return Promise.race([step.then(() => 'step' as const), Promise.resolve().then(() => 'microtask' as const)]);
}

describe('wal.read() fast path', () => {
  it('hands out records already buffered as already-resolved promises (no I/O, no generator step)', async () => {
    const wal = await filledWal(50);
    const iterator = wal.read()[Symbol.asyncIterator]();
    // The first record needs the segment opened and a chunk read.
    const first = iterator.next();
    expect(await settlesFirst(first)).toBe('microtask');
    const seen = [indexOf(((await first).value as WalEntry).key)];
    for (let i = 1; i < 50; i++) {
      const step = iterator.next();
      expect(await settlesFirst(step)).toBe('step');
      const result = await step;
      expect(result.done).toBe(false);
      expect((result.value as WalEntry).index).toBe(i + 1);
      seen.push(indexOf((result.value as WalEntry).key));
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // The end is the slow path's to report.
    expect((await iterator.next()).done).toBe(true);
  });

  it('next() calls made without awaiting return every record once, in order, across chunks and segments', async () => {
    const wal = await filledWal(300, 4096);
    expect((await wal.segments()).length).toBeGreaterThan(5);
    const iterator = wal.read()[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: 305 }, () => iterator.next()));
    const indexes = results.filter((r) => r.done !== true).map((r) => r.value.index);
    expect(indexes).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(results.slice(300).every((r) => r.done === true)).toBe(true);
  });

  // Indexes start at 1.
  it('limit, toIndex and abort stop exactly on buffered records', async () => {
    const wal = await filledWal(50);
    const take = async (options: Parameters<Wal['read']>[0]): Promise<number[]> => {
      const out: number[] = [];
      for await (const entry of wal.read(options)) out.push(entry.index);
      return out;
    };
    expect(await take({ limit: 7 })).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await take({ fromIndex: 10, toIndex: 12 })).toEqual([10, 11, 12]);
    const controller = new AbortController();
    const out: number[] = [];
    for await (const entry of wal.read({ signal: controller.signal })) {
      out.push(entry.index);
      if (entry.index === 3) controller.abort();
    }
    expect(out).toEqual([1, 2, 3]);
  });

  it('a reader disposed with Symbol.asyncDispose (await using) ends and lets GC collect its segment', async () => {
    const wal = await filledWal(300, 4096);
    const before = (await wal.segments()).length;
    {
      await using reader = wal.read();
      expect((await reader.next()).done).toBe(false);
      // Held by the reader: GC keeps the first segment.
      await wal.deleteSegmentsBefore(wal.writtenPosition);
      expect((await wal.segments()).length).toBe(before);
    }
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect((await wal.segments()).length).toBeLessThan(before);
  });
});
