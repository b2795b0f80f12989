import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { TRUNCATE_INTENT_FILE, Wal, WalError } from '../src/index.js';
import { collect, indexOf, record, readWhole } from '@nori/test-support';
import { GatedStorage, settle } from './gated-storage.js';
import { writeAll } from './storage-helpers.js';

const SMALL = { fsync: 'os' as const, maxSegmentSize: 1024, preallocate: false };

async function filled(n: number, storage = new MemoryStorage()): Promise<{ wal: Wal; storage: MemoryStorage }> {
  const { wal } = await Wal.open({ storage, ...SMALL });
  for (let i = 0; i < n; i++) await wal.append(record(i));
  return { wal, storage };
}

/** [index, record number] of every record read from the start. */
async function contents(wal: Wal): Promise<number[][]> {
  return (await collect(wal.read())).map((e) => [e.index, indexOf(e.key)]);
}

function expected(from: number, to: number): number[][] {
  return Array.from({ length: to - from + 1 }, (_, i) => [from + i, from + i - 1]);
}

describe('truncateAfter', () => {
  it('cuts inside an earlier segment, deletes later ones, and appends continue at index + 1 (also after a reopen)', async () => {
    const { wal, storage } = await filled(40);
    const segmentsBefore = (await wal.segments()).length;
    await wal.truncateAfter(7);
    expect([wal.firstIndex, wal.lastIndex]).toEqual([1, 7]);
    expect((await wal.segments()).length).toBeLessThan(segmentsBefore);
    expect(await contents(wal)).toEqual(expected(1, 7));
    const next = await wal.append(record(100));
    expect(next.index).toBe(8);
    await wal.close();
    const { wal: reopened, recovery } = await Wal.open({ storage, ...SMALL });
    expect(recovery.corruptions).toEqual([]);
    expect(await contents(reopened)).toEqual([...expected(1, 7), [8, 100]]);
    expect((await reopened.append(record(101))).index).toBe(9);
    await reopened.close();
  });

  it('leaves the kept bytes of the cut segment exactly as they were (Rust reads them as before)', async () => {
    const { wal, storage } = await filled(40);
    const cut = (await wal.get(16)).position;
    await wal.close();
    const name = `${String(cut.segmentId).padStart(6, '0')}.wal`;
    const original = await readWhole(storage, name);
    const { wal: reopened } = await Wal.open({ storage, ...SMALL });
    await reopened.truncateAfter(15);
    await reopened.close();
    const after = await readWhole(storage, name);
    expect(after.length).toBe(cut.offset);
    expect(Buffer.compare(after, original.subarray(0, cut.offset))).toBe(0);
    expect(
      (await storage.list())
        .filter((n) => n.endsWith('.wal'))
        .sort()
        .at(-1),
    ).toBe(name);
  });

  it('is a no-op at lastIndex, empties the log at firstIndex - 1, refuses indexes outside', async () => {
    const { wal } = await filled(10);
    await wal.truncateAfter(10);
    expect(wal.lastIndex).toBe(10);
    await expect(wal.truncateAfter(11)).rejects.toMatchObject({ code: 'ERR_INDEX_OUT_OF_RANGE' });
    await expect(wal.truncateAfter(-1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await wal.truncateBefore(4);
    await expect(wal.truncateAfter(2)).rejects.toMatchObject({ code: 'ERR_INDEX_TRUNCATED' });
    await wal.truncateAfter(3);
    expect([wal.firstIndex, wal.lastIndex]).toEqual([4, 3]);
    expect(await contents(wal)).toEqual([]);
    expect((await wal.append(record(3))).index).toBe(4);
    expect(await contents(wal)).toEqual([[4, 3]]);
    await wal.close();
  });

  it('appends made while it runs wait for the cut and follow it', async () => {
    const { wal } = await filled(20);
    const before = wal.append(record(20));
    const cut = wal.truncateAfter(5);
    const during = wal.append(record(50));
    await cut;
    // The append made before the call was written, then cut (it was above index 5).
    expect((await before).index).toBe(21);
    expect((await during).index).toBe(6);
    expect(await contents(wal)).toEqual([...expected(1, 5), [6, 50]]);
    await wal.close();
  });

  it('cuts inside an appendBatch and recovery keeps exactly the cut (batch intents do not roll it back)', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os' });
    await wal.append(record(0));
    await wal.appendBatch([record(1), record(2), record(3), record(4)]);
    await wal.truncateAfter(3);
    expect(await contents(wal)).toEqual(expected(1, 3));
    storage.crash({ mode: 'prefix' });
    const { wal: reopened } = await Wal.open({ storage, fsync: 'os' });
    expect(await contents(reopened)).toEqual(expected(1, 3));
    await reopened.close();
  });

  it('fails readers past the cut with ERR_LOG_TRUNCATED; a follower at the cut gets the new records', async () => {
    const { wal } = await filled(30);
    const past = wal.read({ fromIndex: 20 })[Symbol.asyncIterator]();
    expect((await past.next()).value?.index).toBe(20);
    // A follower parked right after record 10: exactly at the cut.
    const follower = wal.read({ follow: true })[Symbol.asyncIterator]();
    for (let i = 1; i <= 10; i++) expect((await follower.next()).value?.index).toBe(i);
    await wal.truncateAfter(10);
    await expect(past.next()).rejects.toMatchObject({ code: 'ERR_LOG_TRUNCATED' });
    await wal.append(record(77));
    await wal.append(record(78));
    const seen: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const entry = (await follower.next()).value;
      if (entry !== undefined) seen.push([entry.index, indexOf(entry.key)]);
    }
    await follower.return?.();
    expect(seen).toEqual([
      [11, 77],
      [12, 78],
    ]);
    await wal.close();
  });

  it('a cut whose intent survived a crash is completed at the next open (read-only opens see it cut)', async () => {
    const { wal, storage } = await filled(30);
    const cutAt = (await wal.get(13)).position;
    await wal.close();
    await writeAll(storage, TRUNCATE_INTENT_FILE, new TextEncoder().encode(JSON.stringify({ version: 1, index: 12, at: cutAt })));
    const readOnly = await Wal.open({ storage, ...SMALL, readOnly: true });
    expect(await contents(readOnly.wal)).toEqual(expected(1, 12));
    expect(readOnly.wal.lastIndex).toBe(12);
    await readOnly.wal.close();
    const { wal: reopened } = await Wal.open({ storage, ...SMALL });
    expect(await storage.exists(TRUNCATE_INTENT_FILE)).toBe(false);
    expect(await contents(reopened)).toEqual(expected(1, 12));
    expect((await reopened.append(record(99))).index).toBe(13);
    await reopened.close();
    await writeAll(storage, TRUNCATE_INTENT_FILE, new TextEncoder().encode('{"version":1,"index":-3}'));
    await expect(Wal.open({ storage, ...SMALL })).rejects.toBeInstanceOf(WalError);
  });
});

describe('truncateBefore', () => {
  it('hides records below the mark while their segment exists, persists the mark, and GC deletes whole segments', async () => {
    const { wal, storage } = await filled(40);
    const mark = 23;
    const markSegment = (await wal.get(mark)).position.segmentId;
    const deleted = await wal.truncateBefore(mark);
    expect(deleted.length).toBeGreaterThan(0);
    expect(Math.max(...deleted)).toBe(markSegment - 1);
    expect(wal.firstIndex).toBe(mark);
    // Record 22 shares the segment of record 23: its bytes exist but it is gone for readers.
    const sameSegment = (await wal.segments()).some((s) => s.id === markSegment);
    expect(sameSegment).toBe(true);
    await expect(wal.get(mark - 1)).rejects.toMatchObject({ code: 'ERR_INDEX_TRUNCATED' });
    await expect(collect(wal.read({ fromIndex: mark - 1 }))).rejects.toMatchObject({ code: 'ERR_INDEX_TRUNCATED' });
    expect(await contents(wal)).toEqual(expected(mark, 40));
    await wal.close();
    const { wal: reopened } = await Wal.open({ storage, ...SMALL });
    expect(reopened.firstIndex).toBe(mark);
    expect(await contents(reopened)).toEqual(expected(mark, 40));
    await expect(reopened.get(mark - 1)).rejects.toMatchObject({ code: 'ERR_INDEX_TRUNCATED' });
    await reopened.close();
  });

  it('a reader started below the mark fails at its next record; lastIndex + 1 empties the log; beyond is refused', async () => {
    const { wal } = await filled(10);
    const early = wal.read({ fromIndex: 2 })[Symbol.asyncIterator]();
    expect((await early.next()).value?.index).toBe(2);
    await wal.truncateBefore(5);
    await expect(early.next()).rejects.toMatchObject({ code: 'ERR_INDEX_TRUNCATED' });
    await expect(wal.truncateBefore(12)).rejects.toMatchObject({ code: 'ERR_INDEX_OUT_OF_RANGE' });
    await wal.truncateBefore(11);
    expect([wal.firstIndex, wal.lastIndex]).toEqual([11, 10]);
    expect(await contents(wal)).toEqual([]);
    expect((await wal.append(record(10))).index).toBe(11);
    await wal.close();
  });

  it('is refused on a read-only WAL', async () => {
    const { wal, storage } = await filled(3);
    await wal.close();
    const { wal: readOnly } = await Wal.open({ storage, ...SMALL, readOnly: true });
    await expect(readOnly.truncateBefore(2)).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await expect(readOnly.truncateAfter(2)).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await readOnly.close();
  });
});

describe('truncations while another one runs', () => {
  it('a second truncateAfter, a truncateBefore, GC, appends and reads issued mid-cut run after it, in order', async () => {
    const memory = new MemoryStorage();
    const storage = new GatedStorage(memory, (name) => name === `${TRUNCATE_INTENT_FILE}.tmp`);
    const { wal } = await Wal.open({ storage, ...SMALL });
    for (let i = 0; i < 40; i++) await wal.append(record(i));
    storage.hold();
    const first = wal.truncateAfter(30);
    await settle();
    // The cut is held at its intent's fsync: its writer is stopped.
    expect(storage.syncsHeld).toBe(1);
    const second = wal.truncateAfter(20);
    const before = wal.truncateBefore(5);
    const gc = wal.deleteSegmentsBefore({ segmentId: 0, offset: 0 });
    const appended = wal.append(record(99));
    const got = wal.get(10);
    storage.release();
    await Promise.all([first, second, before, gc]);
    // Calls take effect in call order: the append lands after the second cut.
    expect((await appended).index).toBe(21);
    expect((await got).index).toBe(10);
    expect([wal.firstIndex, wal.lastIndex]).toEqual([5, 21]);
    expect(await contents(wal)).toEqual([...expected(5, 20), [21, 99]]);
    await wal.close();
  });
});
