import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { FIRST_INDEX, INDEX_FILE, MAX_INDEX, Wal } from '../src/index.js';
import { encodeIndexAnchor } from '../src/index-file.js';
import { collect, copyGoldenCase, goldenCases, record, readWhole } from '@nori/test-support';
import { HookedStorage } from './hooked-storage.js';
import { writeAll } from './storage-helpers.js';

const SMALL = { fsync: 'os' as const, maxSegmentSize: 1024, preallocate: false };

describe('sequence numbers', () => {
  it('start at 1, follow appends and batches across rotations, and survive a reopen', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, ...SMALL });
    expect([wal.firstIndex, wal.lastIndex]).toEqual([FIRST_INDEX, FIRST_INDEX - 1]);
    const single = await wal.append(record(0));
    expect(single.index).toBe(1);
    const batch = await wal.appendBatch([record(1), record(2), record(3)]);
    expect(batch.map((r) => r.index)).toEqual([2, 3, 4]);
    for (let i = 4; i < 40; i++) expect((await wal.append(record(i))).index).toBe(i + 1);
    expect((await wal.segments()).length).toBeGreaterThan(3);
    expect(wal.lastIndex).toBe(40);
    const entries = await collect(wal.read());
    expect(entries.map((e) => e.index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await wal.close();
    const reopened = await Wal.open({ storage, ...SMALL });
    expect([reopened.wal.firstIndex, reopened.wal.lastIndex]).toEqual([1, 40]);
    expect((await reopened.wal.append(record(40))).index).toBe(41);
    await reopened.wal.close();
  });

  it('a Rust-written log (no side file) is numbered from 1 at its first record', async () => {
    const golden = (await goldenCases()).find((c) => c.name === 'rotation_small');
    if (golden === undefined) throw new Error('golden case rotation_small missing');
    const { dir, cleanup } = await copyGoldenCase(golden.name);
    try {
      const { wal } = await Wal.open({ dir, readOnly: true });
      const entries = await collect(wal.read());
      expect(entries.map((e) => e.index)).toEqual(golden.records.map((_, i) => i + 1));
      expect(wal.lastIndex).toBe(golden.records.length);
      await wal.close();
    } finally {
      await cleanup();
    }
  });

  it('stay stable after GC: index.json names the new oldest segment before the old one is deleted', async () => {
    const memory = new MemoryStorage();
    const anchorAtRemoval: string[] = [];
    const storage = new HookedStorage(memory, (_name, file) => file);
    const remove = storage.remove.bind(storage);
    storage.remove = async (name: string) => {
      if (name.endsWith('.wal')) anchorAtRemoval.push(new TextDecoder().decode(await readWhole(memory, INDEX_FILE)));
      return remove(name);
    };
    const { wal } = await Wal.open({ storage, ...SMALL });
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await wal.append(record(i)));
    const third = (await wal.segments())[2];
    if (third === undefined) throw new Error('expected at least three segments');
    const deleted = await wal.deleteSegmentsBefore({ segmentId: third.id, offset: 0 });
    expect(deleted).toHaveLength(2);
    const firstLeft = results.find((r) => r.position.segmentId === third.id);
    expect(wal.firstIndex).toBe(firstLeft?.index);
    // Before each deletion the side file already named a later segment with its first index.
    expect(anchorAtRemoval).toHaveLength(2);
    for (const text of anchorAtRemoval) expect(JSON.parse(text)).toMatchObject({ version: 1 });
    expect(JSON.parse(anchorAtRemoval[1] as string)).toMatchObject({ anchor: { segmentId: third.id, firstIndex: firstLeft?.index } });
    await wal.close();
    const reopened = await Wal.open({ storage: memory, ...SMALL });
    const entries = await collect(reopened.wal.read());
    expect(entries[0]?.index).toBe(firstLeft?.index);
    expect(entries.map((e) => e.key)).toEqual(
      results
        .filter((r) => r.index >= (firstLeft?.index ?? 0))
        .map((r) => record(r.index - 1).key)
        .map((k) => new TextEncoder().encode(k)),
    );
    expect(reopened.wal.lastIndex).toBe(40);
    await reopened.wal.close();
  });

  it('a reader protects its start segment from GC while it resolves where it starts', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), ...SMALL });
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await wal.append(record(i)));
    const target = results[3];
    if (target === undefined) throw new Error('no record');
    for (const options of [{ from: target.position }, { fromIndex: target.index }]) {
      const reader = wal.read(options)[Symbol.asyncIterator]();
      const first = reader.next();
      // Issued while the reader is still finding its start: it must not delete the segment under it.
      const gc = wal.deleteSegmentsBefore({ segmentId: 2, offset: 0 });
      expect((await first).value?.index).toBe(target.index);
      await reader.return?.();
      await gc;
    }
    await wal.close();
  });

  it('read({ fromIndex, toIndex, limit }) returns that range', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), ...SMALL });
    for (let i = 0; i < 30; i++) await wal.append(record(i));
    const indexes = async (options: Parameters<Wal['read']>[0]): Promise<number[]> => (await collect(wal.read(options))).map((e) => e.index);
    expect(await indexes({ fromIndex: 12, toIndex: 15 })).toEqual([12, 13, 14, 15]);
    expect(await indexes({ fromIndex: 28 })).toEqual([28, 29, 30]);
    expect(await indexes({ fromIndex: 5, limit: 2 })).toEqual([5, 6]);
    expect(await indexes({ toIndex: 2 })).toEqual([1, 2]);
    expect(await indexes({ fromIndex: 31 })).toEqual([]);
    await expect(indexes({ fromIndex: 32 })).rejects.toMatchObject({ code: 'ERR_INDEX_OUT_OF_RANGE' });
    await expect(indexes({ fromIndex: 0 })).rejects.toMatchObject({ code: 'ERR_INDEX_TRUNCATED' });
    await expect(indexes({ fromIndex: 1.5 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await wal.close();
  });

  it('a following reader from lastIndex + 1 gets the next appends with their indexes', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), ...SMALL });
    for (let i = 0; i < 5; i++) await wal.append(record(i));
    const seen: number[] = [];
    const controller = new AbortController();
    const reading = (async () => {
      for await (const entry of wal.read({ fromIndex: 6, follow: true, signal: controller.signal })) {
        seen.push(entry.index);
        if (seen.length === 3) controller.abort();
      }
    })();
    for (let i = 5; i < 8; i++) await wal.append(record(i));
    await reading;
    expect(seen).toEqual([6, 7, 8]);
    await wal.close();
  });

  it('refuses an index above 2^53 - 1 with ERR_INDEX_OVERFLOW and writes nothing', async () => {
    const storage = new MemoryStorage();
    const first = await Wal.open({ storage, ...SMALL });
    await first.wal.append(record(0));
    await first.wal.close();
    await writeAll(storage, INDEX_FILE, encodeIndexAnchor({ segmentId: 0, firstIndex: MAX_INDEX - 1, truncatedBefore: 0 }));
    const { wal } = await Wal.open({ storage, ...SMALL });
    expect(wal.lastIndex).toBe(MAX_INDEX - 1);
    expect((await wal.append(record(1))).index).toBe(MAX_INDEX);
    await expect(wal.append(record(2))).rejects.toMatchObject({ code: 'ERR_INDEX_OVERFLOW' });
    await expect(wal.appendBatch([record(3), record(4)])).rejects.toMatchObject({ code: 'ERR_INDEX_OVERFLOW' });
    expect(wal.lastIndex).toBe(MAX_INDEX);
    await wal.close();
  });

  it('refuses to guess when segments in front of the anchor were deleted outside nori', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, ...SMALL });
    for (let i = 0; i < 30; i++) await wal.append(record(i));
    await wal.close();
    await writeAll(storage, INDEX_FILE, encodeIndexAnchor({ segmentId: 0, firstIndex: 1, truncatedBefore: 0 }));
    await storage.remove('000000.wal');
    await expect(Wal.open({ storage, ...SMALL })).rejects.toMatchObject({ code: 'ERR_CORRUPTION' });
    await writeAll(storage, INDEX_FILE, new TextEncoder().encode('{"version":1}'));
    await expect(Wal.open({ storage, ...SMALL })).rejects.toMatchObject({ code: 'ERR_CORRUPTION' });
  });
});
