import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, type Position } from '../src/index.js';
import { record } from '@nori/test-support';

async function filledWal(records = 150): Promise<{ wal: Wal; positions: Position[] }> {
  const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os', maxSegmentSize: 4096 });
  const positions: Position[] = [];
  for (let i = 0; i < records; i++) positions.push((await wal.append(record(i))).position);
  return { wal, positions };
}

const ids = async (wal: Wal): Promise<number[]> => (await wal.segments()).map((s) => s.id);

describe('GC holds (wal.retain)', () => {
  it('GC never deletes the held segment or a later one; moving the hold forward frees what lies before', async () => {
    const { wal, positions } = await filledWal();
    const first = (await ids(wal))[0] as number;
    const held = positions[60] as Position;
    const hold = wal.retain(held);
    expect(hold.position).toEqual(held);

    const removed = await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect(removed).toEqual(Array.from({ length: held.segmentId - first }, (_, i) => first + i));
    expect((await ids(wal))[0]).toBe(held.segmentId);

    const later = positions[120] as Position;
    hold.moveTo(later);
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect((await ids(wal))[0]).toBe(later.segmentId);

    hold.release();
    expect(hold.position).toBeUndefined();
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect(await ids(wal)).toEqual([wal.writtenPosition.segmentId]);
    await wal.close();
  });

  it('the oldest of several holds wins; a disposed hold no longer protects', async () => {
    const { wal, positions } = await filledWal();
    const early = positions[20] as Position;
    {
      using hold = wal.retain(early);
      const late = wal.retain(positions[100] as Position);
      await wal.deleteSegmentsBefore(wal.writtenPosition);
      expect((await ids(wal))[0]).toBe(early.segmentId);
      expect(hold.position).toEqual(early);
      late.release();
    }
    await wal.deleteSegmentsBefore(wal.writtenPosition);
    expect(await ids(wal)).toEqual([wal.writtenPosition.segmentId]);
    await wal.close();
  });

  it('refuses to move backwards or to a malformed position, and retain on a closed WAL', async () => {
    const { wal, positions } = await filledWal(40);
    const hold = wal.retain(positions[30] as Position);
    expect(() => hold.moveTo(positions[10] as Position)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_POSITION' }));
    expect(() => wal.retain({ segmentId: -1, offset: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_POSITION' }));
    hold.release();
    hold.moveTo(positions[35] as Position); // a released hold ignores moves
    expect(hold.position).toBeUndefined();
    await wal.close();
    expect(() => wal.retain({ segmentId: 0, offset: 0 })).toThrow(expect.objectContaining({ code: 'ERR_CLOSED' }));
  });

  it('exposes the storage the WAL reads its segments from', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'always' });
    await wal.append(record(1));
    expect(wal.storage).toBe(storage);
    expect(await wal.storage.list()).toContain('000000.wal');
    await wal.close();
  });
});
