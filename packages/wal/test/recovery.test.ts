import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, WalError, type Position, type RecoveryMode, type WalObserver } from '../src/index.js';
import { collect, indexOf, record, readWhole } from '@nori/test-support';
import { fileSize, flipByte, truncateFile } from './storage-helpers.js';

const SEGMENT = 4096;

async function buildLog(storage: MemoryStorage, n: number): Promise<Position[]> {
  const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false, maxSegmentSize: SEGMENT });
  const positions: Position[] = [];
  for (let i = 0; i < n; i++) positions.push((await wal.append(record(i))).position);
  await wal.close();
  return positions;
}

async function open(storage: MemoryStorage, mode: RecoveryMode, extra: { readOnly?: boolean; observer?: WalObserver } = {}) {
  return Wal.open({ storage, fsync: 'os', preallocate: false, maxSegmentSize: SEGMENT, recovery: mode, ...extra });
}

async function indices(wal: Wal): Promise<number[]> {
  return (await collect(wal.read())).map((e) => indexOf(e.key));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

async function expectCorruptionError(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WalError);
  expect((error as WalError).code).toBe('ERR_CORRUPTION');
}

describe('recovery: torn tail', () => {
  for (const mode of ['tolerate-tail', 'point-in-time', 'salvage'] as const) {
    it(`${mode}: truncates a record cut in half at the end and reports a torn tail`, async () => {
      const storage = new MemoryStorage();
      const positions = await buildLog(storage, 10);
      const last = positions[9] as Position;
      await truncateFile(storage, '000000.wal', last.offset + 20);
      const { wal, recovery } = await open(storage, mode);
      expect(recovery.tail).toBe('torn');
      expect(recovery.bytesTruncated).toBe(20);
      expect(recovery.corruptions).toEqual([]);
      expect(recovery.quarantined).toEqual([]);
      expect(recovery.records).toBe(9);
      expect(recovery.lastPosition).toEqual(last);
      expect(await indices(wal)).toEqual(range(0, 9));
      // The next append lands exactly where the torn record was.
      expect((await wal.append(record(99))).position).toEqual(last);
      await wal.close();
      const recordSize = (positions[1] as Position).offset - (positions[0] as Position).offset;
      expect(await fileSize(storage, '000000.wal')).toBe(last.offset + recordSize);
    });
  }

  it('strict: a torn tail is an error and nothing is modified', async () => {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage, 10);
    const cut = (positions[9] as Position).offset + 20;
    await truncateFile(storage, '000000.wal', cut);
    await expectCorruptionError(open(storage, 'strict'));
    expect(await fileSize(storage, '000000.wal')).toBe(cut);
    // The lock was released: another open works.
    const { wal } = await open(storage, 'tolerate-tail');
    await wal.close();
  });

  it('a zero-filled (preallocated) tail is not corruption, even in strict mode', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'always', preallocate: true, maxSegmentSize: 64 * 1024 });
    for (let i = 0; i < 5; i++) await wal.append(record(i));
    storage.crash();
    const reopened = await Wal.open({ storage, recovery: 'strict', preallocate: true, maxSegmentSize: 64 * 1024 });
    expect(reopened.recovery.tail).toBe('zero-filled');
    expect(reopened.recovery.corruptions).toEqual([]);
    expect(await indices(reopened.wal)).toEqual(range(0, 5));
    await reopened.wal.close();
  });
});

describe('recovery: torn tail followed by empty segments', () => {
  it('a torn segment followed only by empty segments is a torn tail, not corruption', async () => {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage, 100);
    const lastId = positions[99]!.segmentId;
    const last = positions[99]!;
    await truncateFile(storage, `00000${lastId}.wal`, last.offset + 30);
    const empty = await storage.open(`00000${lastId + 1}.wal`, { create: true });
    await empty.preallocate(SEGMENT);
    await empty.close();
    const { wal, recovery } = await open(storage, 'tolerate-tail');
    expect(recovery.tail).toBe('torn');
    expect(recovery.corruptions).toEqual([]);
    expect(recovery.quarantined).toEqual([]);
    expect(await indices(wal)).toEqual(range(0, 99));
    expect((await wal.append(record(100))).position).toEqual({ segmentId: lastId + 1, offset: 0 });
    await wal.close();
  });
});

describe('recovery: corruption in the middle of the last segment', () => {
  async function damaged(): Promise<{ storage: MemoryStorage; bad: Position; original: Uint8Array }> {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage, 20);
    expect(positions.every((p) => p.segmentId === 0)).toBe(true);
    const bad = positions[7] as Position;
    const original = await readWhole(storage, '000000.wal');
    await flipByte(storage, '000000.wal', bad.offset + 15);
    return { storage, bad, original };
  }

  for (const mode of ['tolerate-tail', 'point-in-time'] as const) {
    it(`${mode}: stops at the damage, quarantines the rest (never deletes) and reports it`, async () => {
      const { storage, bad, original } = await damaged();
      const events: string[] = [];
      const { wal, recovery } = await open(storage, mode, { observer: { onCorruption: (e) => events.push(e.action) } });
      expect(recovery.corruptions).toEqual([{ segmentId: 0, offset: bad.offset, reason: 'crc-mismatch' }]);
      expect(recovery.quarantined).toEqual([`quarantine/000000.wal.at-${bad.offset}`]);
      expect(events).toEqual(['quarantined']);
      expect(recovery.records).toBe(7);
      expect(await indices(wal)).toEqual(range(0, 7));
      await wal.close();
      const moved = await readWhole(storage, `quarantine/000000.wal.at-${bad.offset}`);
      const expected = original.slice(bad.offset);
      expected[15] = (expected[15] as number) ^ 0xff;
      expect(Buffer.from(moved).equals(Buffer.from(expected))).toBe(true);
      expect(await fileSize(storage, '000000.wal')).toBe(bad.offset);
    });
  }

  it('strict: throws ERR_CORRUPTION and touches nothing', async () => {
    const { storage, original } = await damaged();
    const events: string[] = [];
    await expectCorruptionError(open(storage, 'strict', { observer: { onCorruption: (e) => events.push(e.action) } }));
    expect(events).toEqual(['failed']);
    expect((await readWhole(storage, '000000.wal')).length).toBe(original.length);
    expect(await storage.exists('quarantine')).toBe(false);
  });

  it('salvage: skips the damaged record, keeps every later one and reports the region', async () => {
    const { storage, bad } = await damaged();
    const { wal, recovery } = await open(storage, 'salvage');
    expect(recovery.records).toBe(19);
    expect(recovery.skipped).toHaveLength(1);
    expect(recovery.skipped[0]?.from).toEqual(bad);
    expect(recovery.skipped[0]?.to.segmentId).toBe(0);
    expect(recovery.skipped[0]?.to.offset).toBeGreaterThan(bad.offset);
    const read = await indices(wal);
    expect(read).toEqual([...range(0, 7), ...range(8, 20)]);
    // Appends continue after the last record.
    await wal.append(record(20));
    expect((await indices(wal)).at(-1)).toBe(20);
    await wal.close();
  });

  it('read-only: reports what it would do and modifies nothing', async () => {
    const { storage, bad, original } = await damaged();
    const { wal, recovery } = await open(storage, 'point-in-time', { readOnly: true });
    expect(recovery.readOnly).toBe(true);
    expect(recovery.quarantined).toEqual([`quarantine/000000.wal.at-${bad.offset}`]);
    expect(await indices(wal)).toEqual(range(0, 7));
    await expect(wal.append(record(1))).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await wal.close();
    expect((await readWhole(storage, '000000.wal')).length).toBe(original.length);
    expect(await storage.exists('quarantine')).toBe(false);
  });
});

describe('recovery: corruption in an earlier segment', () => {
  async function damaged(): Promise<{ storage: MemoryStorage; bad: Position; positions: Position[] }> {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage, 150);
    const segments = new Set(positions.map((p) => p.segmentId));
    expect(segments.size).toBeGreaterThanOrEqual(4);
    const bad = positions.find((p) => p.segmentId === 1 && p.offset > 0) as Position;
    await flipByte(storage, '000001.wal', bad.offset + 3);
    return { storage, bad, positions };
  }

  it('tolerate-tail: truncates there and quarantines every later segment', async () => {
    const { storage, bad, positions } = await damaged();
    const later = [...new Set(positions.map((p) => p.segmentId))].filter((id) => id > 1);
    const { wal, recovery } = await open(storage, 'tolerate-tail');
    const kept = positions.findIndex((p) => p === bad);
    expect(recovery.corruptions).toHaveLength(1);
    expect(recovery.corruptions[0]).toMatchObject({ segmentId: 1, offset: bad.offset });
    expect(recovery.quarantined).toEqual([`quarantine/000001.wal.at-${bad.offset}`, ...later.map((id) => `quarantine/${String(id).padStart(6, '0')}.wal`)]);
    expect(await indices(wal)).toEqual(range(0, kept));
    expect((await wal.segments()).map((s) => s.id)).toEqual([0, 1]);
    expect((await wal.append(record(999))).position).toEqual(bad);
    await wal.close();
    for (const id of later) expect(await storage.exists(`quarantine/${String(id).padStart(6, '0')}.wal`)).toBe(true);
  });

  it('strict: throws and touches nothing', async () => {
    const { storage } = await damaged();
    const before = await storage.list();
    await expectCorruptionError(open(storage, 'strict'));
    expect(await storage.list()).toEqual(before);
  });

  it('salvage: skips only the damaged record across segments', async () => {
    const { storage, bad, positions } = await damaged();
    const skippedIndex = positions.findIndex((p) => p === bad);
    const { wal, recovery } = await open(storage, 'salvage');
    expect(recovery.skipped).toHaveLength(1);
    expect(await indices(wal)).toEqual(range(0, 150).filter((i) => i !== skippedIndex));
    await wal.close();
  });

  it('a missing segment in the middle is reported, never silently skipped', async () => {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage, 150);
    await storage.remove('000002.wal');
    const firstOf2 = positions.findIndex((p) => p.segmentId === 2);
    const { wal, recovery } = await open(storage, 'tolerate-tail');
    expect(recovery.corruptions[0]?.reason).toMatch(/missing segment/);
    expect(recovery.quarantined.every((q) => q.startsWith('quarantine/'))).toBe(true);
    expect(await indices(wal)).toEqual(range(0, firstOf2));
    await wal.close();

    const storage2 = new MemoryStorage();
    const positions2 = await buildLog(storage2, 150);
    await storage2.remove('000002.wal');
    const { wal: salvaged, recovery: report2 } = await open(storage2, 'salvage');
    expect(report2.skipped[0]).toEqual({ from: { segmentId: 1, offset: await fileSize(storage2, '000001.wal') }, to: { segmentId: 3, offset: 0 } });
    expect(await indices(salvaged)).toEqual(range(0, 150).filter((i) => positions2[i]?.segmentId !== 2));
    await salvaged.close();
  });
});

describe('recovery: large records', () => {
  it('streams records larger than the read chunk (> 1 MiB) and records > 128 KiB', async () => {
    const storage = new MemoryStorage();
    const sizes = [200 * 1024, 10, 3 * 1024 * 1024 + 7, 129 * 1024, 5];
    const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false, maxSegmentSize: 8 * 1024 * 1024 });
    for (const [i, size] of sizes.entries()) await wal.append(record(i, size));
    await wal.close();
    const reopened = await Wal.open({ storage, preallocate: false, maxSegmentSize: 8 * 1024 * 1024 });
    expect(reopened.recovery.records).toBe(sizes.length);
    const entries = await collect(reopened.wal.read());
    expect(entries.map((e) => e.value.length)).toEqual(sizes);
    entries.forEach((e, i) => expect(Buffer.from(e.value).equals(Buffer.from(record(i, sizes[i] as number).value))).toBe(true));
    await reopened.wal.close();
  });

  it('a torn 3 MiB record at the tail is truncated', async () => {
    const storage = new MemoryStorage();
    const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false, maxSegmentSize: 8 * 1024 * 1024 });
    await wal.append(record(0, 1000));
    const big = (await wal.append(record(1, 3 * 1024 * 1024))).position;
    await wal.close();
    await truncateFile(storage, '000000.wal', big.offset + 2 * 1024 * 1024);
    const reopened = await Wal.open({ storage, preallocate: false });
    expect(reopened.recovery.tail).toBe('torn');
    expect(reopened.recovery.records).toBe(1);
    expect(reopened.recovery.bytesTruncated).toBe(2 * 1024 * 1024);
    await reopened.wal.close();
  });
});
