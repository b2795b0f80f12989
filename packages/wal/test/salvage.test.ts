import { encodeRecord } from '@nori/codec';
import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, type Position, type RecoveryMode } from '../src/index.js';
import { SKIPPED_REGIONS_FILE, SKIPPED_REGIONS_TMP, decodeSkippedRegions } from '../src/skipped-regions.js';
import { collect, indexOf, record, readWhole } from '@nori/test-support';
import { flipByte, overwrite, truncateFile } from './storage-helpers.js';

const SEGMENT = 4096;

async function buildLog(storage: MemoryStorage, n: number): Promise<Position[]> {
  const { wal } = await Wal.open({ storage, fsync: 'os', preallocate: false, maxSegmentSize: SEGMENT });
  const positions: Position[] = [];
  for (let i = 0; i < n; i++) positions.push((await wal.append(record(i))).position);
  await wal.close();
  return positions;
}

function open(storage: MemoryStorage, mode: RecoveryMode, extra: { readOnly?: boolean } = {}) {
  return Wal.open({ storage, fsync: 'os', preallocate: false, maxSegmentSize: SEGMENT, recovery: mode, ...extra });
}

async function indices(wal: Wal, from?: Position): Promise<number[]> {
  return (await collect(wal.read(from === undefined ? {} : { from }))).map((e) => indexOf(e.key));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** A log of 20 records in segment 0 whose record 7 is damaged (one byte flipped). */
async function damagedLog(): Promise<{ storage: MemoryStorage; positions: Position[]; bad: Position; next: Position }> {
  const storage = new MemoryStorage();
  const positions = await buildLog(storage, 20);
  expect(positions.every((p) => p.segmentId === 0)).toBe(true);
  const bad = positions[7] as Position;
  await flipByte(storage, '000000.wal', bad.offset + 15);
  return { storage, positions, bad, next: positions[8] as Position };
}

describe('salvage: skipped regions stay skipped', () => {
  it('salvage, append, reopen with the default mode: every record is there and nothing is quarantined', async () => {
    const { storage, bad, next } = await damagedLog();
    const original = await readWhole(storage, '000000.wal');
    const salvaged = await open(storage, 'salvage');
    expect(salvaged.recovery.skipped).toEqual([{ from: bad, to: next }]);
    for (let i = 20; i < 25; i++) await salvaged.wal.append(record(i));
    await salvaged.wal.close();

    const expected = [...range(0, 7), ...range(8, 25)];
    for (const mode of ['tolerate-tail', 'point-in-time', 'salvage'] as const) {
      const { wal, recovery } = await open(storage, mode);
      expect(recovery.corruptions).toEqual([]);
      expect(recovery.quarantined).toEqual([]);
      expect(recovery.skipped).toEqual([{ from: bad, to: next }]);
      expect(recovery.records).toBe(24);
      expect(await indices(wal)).toEqual(expected);
      await wal.close();
    }
    // The side file lists the region; the damaged bytes were copied to quarantine/ for the operator.
    expect(decodeSkippedRegions(await readWhole(storage, SKIPPED_REGIONS_FILE))).toEqual([{ from: bad, to: next }]);
    const copy = await readWhole(storage, `quarantine/000000.wal.skipped-${bad.offset}`);
    expect(Buffer.from(copy).equals(Buffer.from(original.subarray(bad.offset, next.offset)))).toBe(true);
    // Positions never move: the segment still holds the damaged bytes in place.
    expect(Buffer.from((await readWhole(storage, '000000.wal')).subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);
  });

  it('a salvage open that appends nothing still records its regions: the next default open loses nothing', async () => {
    const { storage, bad, next } = await damagedLog();
    const original = await readWhole(storage, '000000.wal');
    const salvaged = await open(storage, 'salvage');
    expect(salvaged.recovery.skipped).toEqual([{ from: bad, to: next }]);
    await salvaged.wal.close();
    expect(decodeSkippedRegions(await readWhole(storage, SKIPPED_REGIONS_FILE))).toEqual([{ from: bad, to: next }]);
    // Segment bytes are untouched; only the side file and the quarantine copy were added.
    expect(Buffer.from((await readWhole(storage, '000000.wal')).subarray(0, original.length)).equals(Buffer.from(original))).toBe(true);

    const { wal, recovery } = await open(storage, 'tolerate-tail');
    expect(recovery.corruptions).toEqual([]);
    expect(recovery.quarantined).toEqual([]);
    expect(await indices(wal)).toEqual([...range(0, 7), ...range(8, 20)]);
    await wal.close();
  });

  it('strict refuses a log with a skipped region and modifies nothing', async () => {
    const { storage } = await damagedLog();
    const { wal } = await open(storage, 'salvage');
    await wal.append(record(20));
    await wal.close();
    const before = await readWhole(storage, '000000.wal');
    await expect(open(storage, 'strict')).rejects.toMatchObject({ code: 'ERR_CORRUPTION', message: expect.stringContaining(SKIPPED_REGIONS_FILE) });
    expect(Buffer.from(await readWhole(storage, '000000.wal')).equals(Buffer.from(before))).toBe(true);
  });

  it('readers never return bytes from inside a known region, even if they look like a valid record', async () => {
    const { storage, bad, next } = await damagedLog();
    const first = await open(storage, 'salvage');
    await first.wal.append(record(20));
    await first.wal.close();
    // Plant a valid record of exactly the region's length inside it.
    const length = next.offset - bad.offset;
    let valueLength = length;
    while (encodeRecord({ key: 'planted', value: new Uint8Array(valueLength) }).length > length) valueLength--;
    const planted = encodeRecord({ key: 'planted', value: new Uint8Array(valueLength) });
    expect(planted.length).toBe(length);
    await overwrite(storage, '000000.wal', bad.offset, planted);

    for (const readOnly of [false, true]) {
      const { wal, recovery } = await open(storage, 'tolerate-tail', { readOnly });
      expect(recovery.records).toBe(20);
      expect(await indices(wal)).toEqual([...range(0, 7), ...range(8, 21)]);
      // Starting right at the region jumps over it; starting inside it is not a record boundary.
      expect((await indices(wal, bad))[0]).toBe(8);
      await expect(collect(wal.read({ from: { segmentId: 0, offset: bad.offset + 1 } }))).rejects.toMatchObject({
        code: 'ERR_INVALID_POSITION',
      });
      expect(await indices(wal, next)).toEqual(range(8, 21));
      await wal.close();
    }
  });

  it('follow readers of the salvaging WAL jump over the region too', async () => {
    const { storage } = await damagedLog();
    const { wal } = await open(storage, 'salvage');
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const entry of wal.read({ from: { segmentId: 0, offset: 0 }, follow: true, signal: controller.signal })) {
        seen.push(indexOf(entry.key));
        if (indexOf(entry.key) === 21) controller.abort();
      }
    })();
    await wal.append(record(20));
    await wal.append(record(21));
    await done;
    expect(seen).toEqual([...range(0, 7), ...range(8, 22)]);
    await wal.close();
  });

  it('the rest of a damaged earlier segment and a missing segment stay skipped', async () => {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage, 150);
    const inOne = positions.filter((p) => p.segmentId === 1);
    const cut = inOne[3] as Position;
    // Garbage from the 4th record of segment 1 to its end: nothing valid follows in that segment.
    const size = (await readWhole(storage, '000001.wal')).length;
    await overwrite(storage, '000001.wal', cut.offset, new Uint8Array(size - cut.offset).fill(0xa5));
    await storage.remove('000003.wal');
    const keep = positions.map((p, i) => ({ p, i })).filter(({ p }) => !(p.segmentId === 1 && p.offset >= cut.offset) && p.segmentId !== 3);
    const expected = keep.map(({ i }) => i);

    const salvaged = await open(storage, 'salvage');
    expect(salvaged.recovery.skipped).toEqual([
      { from: cut, to: { segmentId: 2, offset: 0 } },
      { from: { segmentId: 2, offset: (await readWhole(storage, '000002.wal')).length }, to: { segmentId: 4, offset: 0 } },
    ]);
    await salvaged.wal.append(record(150));
    await salvaged.wal.close();

    const { wal, recovery } = await open(storage, 'tolerate-tail');
    expect(recovery.corruptions).toEqual([]);
    expect(recovery.quarantined).toEqual([]);
    expect(recovery.skipped).toHaveLength(2);
    expect(await indices(wal)).toEqual([...expected, 150]);
    await wal.close();
  });

  it('a segment that ends in skipped garbage is never appended to: the next append starts a new segment', async () => {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage, 120);
    const lastId = positions.at(-1)?.segmentId as number;
    expect(lastId).toBeGreaterThanOrEqual(2);
    const cut = positions.filter((p) => p.segmentId === 0)[5] as Position;
    const size = (await readWhole(storage, '000000.wal')).length;
    await overwrite(storage, '000000.wal', cut.offset, new Uint8Array(size - cut.offset).fill(0x5a));
    const salvaged = await open(storage, 'salvage');
    await salvaged.wal.append(record(120));
    await salvaged.wal.close();
    // The operator moves every later segment away: segment 0 becomes the last one, ending in garbage.
    for (let id = 1; id <= lastId; id++) await storage.rename(`00000${id}.wal`, `moved-00000${id}`);

    const { wal, recovery } = await open(storage, 'tolerate-tail');
    // sealed.log tells the segments after it were removed: reported once, then forgotten.
    expect(recovery.corruptions.map((c) => c.reason)).toEqual([expect.stringMatching(/^missing segment\(s\) 000001\.wal\.\..*at the end of the log/)]);
    expect(recovery.lastPosition).toEqual({ segmentId: 1, offset: 0 });
    expect((await wal.append(record(121))).position).toEqual({ segmentId: 1, offset: 0 });
    await wal.close();
    const again = await open(storage, 'tolerate-tail');
    expect(again.recovery.corruptions).toEqual([]);
    expect(await indices(again.wal)).toEqual([...range(0, 5), 121]);
    expect(Buffer.from((await readWhole(storage, '000000.wal')).subarray(cut.offset)).every((b) => b === 0x5a)).toBe(true);
    await again.wal.close();
  });

  it('an invalid side file is a typed error, not a guess', async () => {
    const { storage } = await damagedLog();
    const file = await storage.open(SKIPPED_REGIONS_FILE, { create: true });
    file.writevSync([new TextEncoder().encode('{"version":1,"regions":[{"from":1}]}')], 0);
    await file.datasync();
    await file.close();
    await expect(open(storage, 'tolerate-tail')).rejects.toMatchObject({ code: 'ERR_CORRUPTION' });
  });

  it('a power loss at every storage operation of salvage + append never loses the side file or an acknowledged record', async () => {
    const { storage: base, bad, next } = await damagedLog();
    const run = async (storage: MemoryStorage): Promise<boolean> => {
      const { wal } = await open(storage, 'salvage');
      await wal.append(record(20), { durable: true });
      await wal.append(record(21), { durable: true });
      await wal.close();
      return true;
    };
    const probe = base.fork();
    const before = probe.operations;
    await run(probe);
    const total = probe.operations - before;
    expect(total).toBeGreaterThan(8);
    for (let k = 0; k < total; k++) {
      for (const seed of [1, 2]) {
        const storage = base.fork({ seed });
        storage.injectFault({ kind: 'crash', afterOps: k });
        const acknowledged: number[] = [];
        try {
          const { wal } = await open(storage, 'salvage');
          await wal.append(record(20), { durable: true });
          acknowledged.push(20);
          await wal.append(record(21), { durable: true });
          acknowledged.push(21);
          await wal.close();
        } catch (error) {
          expect((error as { code?: string }).code).toMatch(/ERR_CRASHED|ERR_FAILED|ERR_IO/);
        }
        storage.clearFaults();
        storage.crash({ mode: seed === 1 ? 'prefix' : 'subset' });
        // The side file is either absent or whole; a temporary copy is never mistaken for it.
        const hasFile = await storage.exists(SKIPPED_REGIONS_FILE);
        if (hasFile) expect(decodeSkippedRegions(await readWhole(storage, SKIPPED_REGIONS_FILE))).toEqual([{ from: bad, to: next }]);
        const { wal, recovery } = await open(storage, 'tolerate-tail');
        const read = await indices(wal);
        if (acknowledged.length > 0 || hasFile) {
          // Once anything was acknowledged after the damage, the region is known: nothing is lost.
          expect(hasFile).toBe(true);
          expect(recovery.quarantined).toEqual([]);
          expect(read.slice(0, 19)).toEqual([...range(0, 7), ...range(8, 20)]);
          for (const i of acknowledged) expect(read).toContain(i);
        } else {
          // Nothing new reached the log: the damage is handled as before the salvage.
          expect(read).toEqual(range(0, 7));
        }
        await wal.close();
        expect(await storage.exists(SKIPPED_REGIONS_TMP)).toBe(false);
      }
    }
  });
});

describe('salvage and tools that do not know salvaged.json', () => {
  it('a full copy of the salvaged segment survives a reader that truncates at the damage; appends go to a new segment', async () => {
    const { storage, bad } = await damagedLog();
    const original = await readWhole(storage, '000000.wal');
    const salvaged = await open(storage, 'salvage');
    const appended: Position[] = [];
    for (let i = 20; i < 23; i++) appended.push((await salvaged.wal.append(record(i))).position);
    await salvaged.wal.close();
    // Nothing is ever appended behind the damage: a truncating reader cannot cut new records.
    expect(appended.every((p) => p.segmentId === 1)).toBe(true);
    const copy = await readWhole(storage, 'quarantine/000000.wal.salvaged');
    expect(Buffer.compare(copy, original)).toBe(0);

    // What Rust nori-wal does on open: truncate the segment at the damage.
    await truncateFile(storage, '000000.wal', bad.offset);
    const { wal } = await open(storage, 'tolerate-tail');
    expect(await indices(wal)).toEqual([...range(0, 7), 20, 21, 22]);
    await wal.close();
    // Every record salvage had kept after the damage is still in the copy.
    const restored = new MemoryStorage();
    const file = await restored.open('000000.wal', { create: true });
    file.writevSync([copy], 0);
    await file.datasync();
    await file.close();
    const fromCopy = await open(restored, 'salvage');
    expect(await indices(fromCopy.wal)).toEqual([...range(0, 7), ...range(8, 20)]);
    await fromCopy.wal.close();
  });
});
