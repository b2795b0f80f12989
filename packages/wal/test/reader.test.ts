import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, type Position, type WalEntry } from '../src/index.js';
import { settle } from './gated-storage.js';
import { collect, firstByteMismatch, indexOf, record } from '@nori/test-support';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

async function openSmall(storage = new MemoryStorage()) {
  const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: true, maxSegmentSize: 4096 });
  return { storage, wal };
}

describe('readers', () => {
  it('read across rotations, from the start and from any record position', async () => {
    const { wal } = await openSmall();
    const positions: Position[] = [];
    for (let i = 0; i < 120; i++) positions.push((await wal.append(record(i))).position);
    expect(new Set(positions.map((p) => p.segmentId)).size).toBeGreaterThan(3);
    const all = await collect(wal.read());
    expect(all.map((e) => indexOf(e.key))).toEqual(range(0, 120));
    expect(all.map((e) => e.position)).toEqual(positions);
    const from = positions[70]!;
    expect((await collect(wal.read({ from }))).map((e) => indexOf(e.key))).toEqual(range(70, 120));
    // From the written position: nothing yet.
    expect(await collect(wal.read({ from: wal.writtenPosition }))).toEqual([]);
    await wal.close();
  });

  it('yields views into never-reused chunks by default, compact copies with copy: true', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false });
    // 3 MiB of records: several 1 MiB chunks, with records carried over chunk boundaries.
    const values = Array.from({ length: 3000 }, (_, i) => new Uint8Array(1000).fill(i % 251));
    await wal.appendBatch(values.map((value, i) => ({ key: `k${i}`, value })));
    const views = await collect(wal.read());
    // Every view still holds its own bytes after the reader moved on through later chunks.
    expect(
      firstByteMismatch(
        views.map((e) => e.value),
        values,
      ),
    ).toBe(-1);
    expect(views[0]!.value.buffer).toBe(views[1]!.value.buffer);
    expect(new Set(views.map((e) => e.value.buffer)).size).toBeGreaterThan(2);
    const copies = await collect(wal.read({ copy: true }));
    expect(
      firstByteMismatch(
        copies.map((e) => e.value),
        values,
      ),
    ).toBe(-1);
    expect(copies[0]!.value.buffer).not.toBe(copies[1]!.value.buffer);
    expect(copies[0]!.value.buffer.byteLength).toBe(1000);
    await wal.close();
  });

  it('rejects positions that are not record boundaries or do not exist', async () => {
    const { wal } = await openSmall();
    const p = (await wal.append(record(0))).position;
    await wal.append(record(1));
    const codeOf = async (from: { segmentId: number; offset: number }) =>
      collect(wal.read({ from })).then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
    expect(await codeOf({ segmentId: p.segmentId, offset: p.offset + 1 })).toBe('ERR_INVALID_POSITION');
    expect(await codeOf({ segmentId: 7, offset: 0 })).toBe('ERR_INVALID_POSITION');
    expect(await codeOf({ segmentId: 0, offset: 1_000_000 })).toBe('ERR_INVALID_POSITION');
    expect(await codeOf({ segmentId: -1, offset: 0 })).toBe('ERR_INVALID_POSITION');
    await wal.close();
  });

  it('a reader keeps working while appends happen and never reads preallocated zeros', async () => {
    const { wal } = await openSmall();
    for (let i = 0; i < 10; i++) await wal.append(record(i));
    const seen: number[] = [];
    let next = 10;
    for await (const entry of wal.read()) {
      seen.push(indexOf(entry.key));
      if (next < 100) await wal.append(record(next++));
    }
    // A non-following reader ends at the written position it reaches.
    expect(seen).toEqual(range(0, seen.length));
    expect(seen.length).toBeGreaterThanOrEqual(10);
    await wal.close();
  });

  it('follow: tails records as they land and ends cleanly when its signal aborts', async () => {
    const { wal } = await openSmall();
    await wal.append(record(0));
    const controller = new AbortController();
    const seen: number[] = [];
    const tail = (async () => {
      for await (const entry of wal.read({ follow: true, signal: controller.signal })) {
        seen.push(indexOf(entry.key));
        if (seen.length === 80) controller.abort();
      }
    })();
    for (let i = 1; i < 80; i++) {
      await wal.append(record(i));
      if (i % 10 === 0) await settle(1);
    }
    await tail;
    expect(seen).toEqual(range(0, 80));
    await wal.close();
  });

  it('follow: a waiting tail wakes up on an append and throws ERR_CLOSED when the WAL closes', async () => {
    const { wal } = await openSmall();
    const seen: number[] = [];
    const tail = (async () => {
      for await (const entry of wal.read({ follow: true })) seen.push(indexOf(entry.key));
    })();
    await settle();
    await wal.append(record(1));
    await settle();
    expect(seen).toEqual([1]);
    await wal.close();
    await expect(tail).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('reads records larger than the read chunk interleaved with small ones', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os', maxSegmentSize: 16 * 1024 * 1024 });
    const sizes = [10, 2 * 1024 * 1024, 10, 300 * 1024, 1024 * 1024 - 20, 7];
    for (const [i, size] of sizes.entries()) await wal.append(record(i, size));
    const entries = await collect(wal.read());
    expect(entries.map((e) => e.value.length)).toEqual(sizes);
    await wal.close();
  });
});

describe('GC', () => {
  it('deletes whole segments before a position, never the active one, and fsyncs the directory', async () => {
    const deleted: number[] = [];
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({
      storage,
      fsync: 'os',
      maxSegmentSize: 4096,
      observer: { onSegmentDeleted: (e) => deleted.push(e.segmentId) },
    });
    const positions: Position[] = [];
    for (let i = 0; i < 150; i++) positions.push((await wal.append(record(i))).position);
    const last = wal.writtenPosition;
    const removed = await wal.deleteSegmentsBefore(positions[100]!);
    expect(removed).toEqual(range(0, positions[100]!.segmentId));
    expect(deleted).toEqual(removed);
    expect((await wal.segments())[0]!.id).toBe(positions[100]!.segmentId);
    // Even "everything" keeps the active segment.
    await wal.deleteSegmentsBefore({ segmentId: last.segmentId + 5, offset: 0 });
    expect((await wal.segments()).map((s) => s.id)).toEqual([last.segmentId]);
    // Reading from a deleted position is a typed error.
    await expect(collect(wal.read({ from: positions[0]! }))).rejects.toMatchObject({ code: 'ERR_SEGMENT_GONE' });
    await wal.close();
    // Durable: after a power loss the deleted segments stay deleted and the log is contiguous.
    storage.crash();
    const reopened = await Wal.open({ storage });
    expect(reopened.recovery.corruptions).toEqual([]);
    expect((await collect(reopened.wal.read())).map((e) => indexOf(e.key))).toEqual(range(0, 150).filter((i) => positions[i]!.segmentId === last.segmentId));
    await reopened.wal.close();
  });

  it('never deletes a segment an open reader still needs', async () => {
    const { wal } = await openSmall();
    const positions: Position[] = [];
    for (let i = 0; i < 150; i++) positions.push((await wal.append(record(i))).position);
    const reader = wal.read()[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(indexOf((first.value as WalEntry).key)).toBe(0);
    expect(await wal.deleteSegmentsBefore(wal.writtenPosition)).toEqual([]);
    // The reader finishes everything, untouched by GC.
    const rest: number[] = [];
    for (let r = await reader.next(); r.done !== true; r = await reader.next()) rest.push(indexOf(r.value.key));
    expect(rest).toEqual(range(1, 150));
    // Once it is done, GC proceeds.
    expect((await wal.deleteSegmentsBefore(wal.writtenPosition)).length).toBeGreaterThan(0);
    await wal.close();
  });

  it('a reader that breaks out releases its segments', async () => {
    const { wal } = await openSmall();
    for (let i = 0; i < 150; i++) await wal.append(record(i));
    for await (const entry of wal.read()) {
      expect(indexOf(entry.key)).toBe(0);
      break;
    }
    expect((await wal.deleteSegmentsBefore(wal.writtenPosition)).length).toBeGreaterThan(0);
    await wal.close();
  });
});
