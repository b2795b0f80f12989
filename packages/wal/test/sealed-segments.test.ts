import { encodeRecord } from '@nori/codec';
import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, type Position, type RecoveryMode } from '../src/index.js';
import { SEALED_ENTRY_SIZE, SEALED_SEGMENTS_FILE, SEALED_SEGMENTS_TMP, decodeSealedLog, sealedLogLimit } from '../src/sealed-segments.js';
import { collect, indexOf, record, readWhole } from '@nori/test-support';
import { fileSize, overwrite, truncateFile } from './storage-helpers.js';

const SEGMENT = 16 * 1024;
const RECORDS = 600;

function open(storage: MemoryStorage, mode: RecoveryMode, extra: { readOnly?: boolean; preallocate?: boolean } = {}) {
  return Wal.open({ storage, fsync: 'os', preallocate: false, maxSegmentSize: SEGMENT, recovery: mode, ...extra });
}

/** A log of {@link RECORDS} records over several 16 KiB segments (at least 5). */
async function buildLog(storage: MemoryStorage): Promise<Position[]> {
  const { wal } = await open(storage, 'strict');
  const positions: Position[] = [];
  for (let i = 0; i < RECORDS; i++) positions.push((await wal.append(record(i))).position);
  await wal.close();
  expect(positions.at(-1)?.segmentId).toBeGreaterThanOrEqual(4);
  return positions;
}

async function indices(wal: Wal): Promise<number[]> {
  return (await collect(wal.read())).map((e) => indexOf(e.key));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const inSegment = (positions: Position[], id: number): number[] => range(0, RECORDS).filter((i) => positions[i]?.segmentId === id);

async function snapshot(storage: MemoryStorage): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of (await storage.list()).sort()) out.set(name, Buffer.from(await readWhole(storage, name)));
  return out;
}

function sameFiles(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  return a.size === b.size && [...a].every(([name, bytes]) => b.has(name) && Buffer.compare(bytes, b.get(name) as Buffer) === 0);
}

interface Hole {
  name: string;
  /** Damages segment 2 of the log. */
  apply(storage: MemoryStorage, positions: Position[]): Promise<void>;
  /** Offset in segment 2 where tolerate-tail ends it. */
  end(positions: Position[]): number;
}

const seg2 = '000002.wal';
const HOLES: Hole[] = [
  { name: 'a zero-length middle segment', apply: (s) => truncateFile(s, seg2, 0), end: () => 0 },
  {
    name: 'an all-zero middle segment',
    apply: async (s) => overwrite(s, seg2, 0, new Uint8Array(await fileSize(s, seg2))),
    end: () => 0,
  },
  {
    name: 'a middle segment cut exactly at a record boundary',
    apply: (s, p) => truncateFile(s, seg2, (p[inSegment(p, 2)[10] as number] as Position).offset),
    end: (p) => (p[inSegment(p, 2)[10] as number] as Position).offset,
  },
  {
    name: 'a middle segment with garbage after its sealed end',
    apply: async (s) => overwrite(s, seg2, await fileSize(s, seg2), new Uint8Array(300).fill(0x5a)),
    end: () => -1,
  },
  {
    name: 'a middle segment whose last record was replaced by another valid one',
    apply: async (s, p) => {
      const last = p[inSegment(p, 2).at(-1) as number] as Position;
      const { key, value } = record(99_999);
      await overwrite(s, seg2, last.offset, encodeRecord({ key: key.replace('99999', '9999x'), value }));
    },
    end: () => -2,
  },
];

describe('holes between sealed segments are damage (sealed.log)', () => {
  for (const hole of HOLES) {
    it(`${hole.name}: tolerate-tail stops there, strict refuses, salvage skips, verify-style read-only reports`, async () => {
      const base = new MemoryStorage();
      const positions = await buildLog(base);
      await hole.apply(base, positions);
      const segmentSize = await fileSize(base, seg2);
      const in2 = inSegment(positions, 2);
      const lastOf2 = positions[in2.at(-1) as number] as Position;
      const expectedEnd = hole.end(positions) === -1 ? segmentSize - 300 : hole.end(positions) === -2 ? undefined : hole.end(positions);

      // strict and read-only: reported, nothing modified.
      const before = await snapshot(base);
      await expect(open(base, 'strict')).rejects.toMatchObject({ code: 'ERR_CORRUPTION', message: /sealed segment 000002\.wal/ });
      const peek = await open(base, 'tolerate-tail', { readOnly: true });
      expect(peek.recovery.corruptions.map((c) => c.segmentId)).toEqual([2]);
      await peek.wal.close();
      expect(sameFiles(await snapshot(base), before)).toBe(true);

      for (const mode of ['tolerate-tail', 'point-in-time'] as const) {
        const storage = base.fork();
        const { wal, recovery } = await open(storage, mode);
        expect(recovery.corruptions).toHaveLength(1);
        const at = recovery.corruptions[0] as { segmentId: number; offset: number };
        expect(at.segmentId).toBe(2);
        if (expectedEnd !== undefined) expect(at.offset).toBe(expectedEnd);
        else expect(at.offset).toBeLessThanOrEqual(lastOf2.offset);
        expect(recovery.quarantined.some((q) => q.startsWith('quarantine/000003.wal'))).toBe(true);
        const read = await indices(wal);
        const kept = read.filter((i) => positions[i]?.segmentId === 2);
        expect(read.slice(0, in2[0])).toEqual(range(0, in2[0] as number));
        expect(read.length).toBe((in2[0] as number) + kept.length);
        await wal.close();
        // Reported once: the next open, in any mode, finds nothing new.
        for (const again of ['strict', 'tolerate-tail'] as const) {
          const next = await open(storage, again);
          expect(next.recovery.corruptions).toEqual([]);
          await next.wal.close();
        }
      }

      const storage = base.fork();
      const { wal, recovery } = await open(storage, 'salvage');
      expect(recovery.corruptions.map((c) => c.segmentId)).toEqual([2]);
      const read = await indices(wal);
      // Everything after segment 2 is kept.
      expect(read.slice(-range(in2.at(-1) as number, RECORDS).length + 1)).toEqual(range((in2.at(-1) as number) + 1, RECORDS));
      await wal.close();
      const next = await open(storage, 'tolerate-tail');
      expect(next.recovery.corruptions).toEqual([]);
      expect(await indices(next.wal)).toEqual(read);
      await next.wal.close();
    });
  }

  it('sealed segments missing at the end of the log are damage too', async () => {
    const base = new MemoryStorage();
    const positions = await buildLog(base);
    const last = positions.at(-1)?.segmentId as number;
    await base.remove(`00000${last}.wal`);
    await base.remove(`00000${last - 1}.wal`);
    await expect(open(base, 'strict')).rejects.toMatchObject({ code: 'ERR_CORRUPTION', message: /missing segment.*at the end/ });
    const storage = base.fork();
    const { wal, recovery } = await open(storage, 'tolerate-tail');
    expect(recovery.corruptions).toEqual([expect.objectContaining({ segmentId: last - 1, offset: 0 })]);
    await wal.append(record(RECORDS));
    await wal.close();
    const next = await open(storage, 'strict');
    expect(next.recovery.corruptions).toEqual([]);
    await next.wal.close();
  });

  it('a log without sealed.log (as Rust writes it) keeps the old behaviour: a zero-length middle segment is not seen', async () => {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage);
    await storage.remove(SEALED_SEGMENTS_FILE);
    await truncateFile(storage, seg2, 0);
    const { wal, recovery } = await open(storage, 'strict');
    expect(recovery.corruptions).toEqual([]);
    expect(await indices(wal)).toEqual(range(0, RECORDS).filter((i) => positions[i]?.segmentId !== 2));
    await wal.close();
  });

  it('one entry per sealed segment with its length and record count; GC drops entries before deleting', async () => {
    const storage = new MemoryStorage();
    const positions = await buildLog(storage);
    const last = positions.at(-1)?.segmentId as number;
    const { entries, torn } = decodeSealedLog(await readWhole(storage, SEALED_SEGMENTS_FILE));
    expect(torn).toBe(false);
    expect(entries.map((e) => e.id)).toEqual(range(0, last));
    for (const entry of entries) {
      expect(entry.length).toBe(await fileSize(storage, `00000${entry.id}.wal`));
      expect(entry.records).toBe(inSegment(positions, entry.id).length);
    }
    const { wal } = await open(storage, 'strict');
    expect(await wal.deleteSegmentsBefore({ segmentId: 3, offset: 0 })).toEqual([0, 1, 2]);
    expect(decodeSealedLog(await readWhole(storage, SEALED_SEGMENTS_FILE)).entries.map((e) => e.id)).toEqual(range(3, last));
    await wal.close();
    const next = await open(storage, 'strict');
    expect(next.recovery.corruptions).toEqual([]);
    await next.wal.close();
  });

  it('a hostile sealed.log is refused with a typed error naming it; a torn last entry is not', async () => {
    const storage = new MemoryStorage();
    await buildLog(storage);
    const good = await readWhole(storage, SEALED_SEGMENTS_FILE);
    const segments = (await storage.list()).filter((n) => n.endsWith('.wal')).length;

    await overwrite(storage, SEALED_SEGMENTS_FILE, sealedLogLimit(segments), new Uint8Array([1]));
    await expect(open(storage, 'tolerate-tail')).rejects.toMatchObject({ code: 'ERR_CORRUPTION', message: /sealed\.log is invalid.*bytes/ });
    expect(await fileSize(storage, SEALED_SEGMENTS_FILE)).toBe(sealedLogLimit(segments) + 1);

    await truncateFile(storage, SEALED_SEGMENTS_FILE, 0);
    const damaged = Buffer.from(good);
    damaged[5] = (damaged[5] as number) ^ 0xff;
    await overwrite(storage, SEALED_SEGMENTS_FILE, 0, damaged);
    await expect(open(storage, 'tolerate-tail', { readOnly: true })).rejects.toMatchObject({ code: 'ERR_CORRUPTION', message: /entry 0/ });

    await truncateFile(storage, SEALED_SEGMENTS_FILE, 0);
    await overwrite(storage, SEALED_SEGMENTS_FILE, 0, good.subarray(0, good.length - SEALED_ENTRY_SIZE / 2));
    const { wal, recovery } = await open(storage, 'strict');
    expect(recovery.corruptions).toEqual([]);
    await wal.close();
    expect(await fileSize(storage, SEALED_SEGMENTS_FILE)).toBe(good.length - SEALED_ENTRY_SIZE);
    expect(await storage.exists(SEALED_SEGMENTS_TMP)).toBe(false);
  });

  it('a power loss at every storage operation around rotations: no false alarm, no acknowledged record lost', async () => {
    const small = 1024;
    const base = new MemoryStorage();
    const seed = await Wal.open({ storage: base, fsync: 'always', maxSegmentSize: small });
    for (let i = 0; i < 12; i++) await seed.wal.append(record(i, 60));
    await seed.wal.close();
    const run = async (storage: MemoryStorage, acknowledged: number[]): Promise<void> => {
      const { wal } = await Wal.open({ storage, fsync: 'always', maxSegmentSize: small });
      for (let i = 12; i < 40; i++) {
        // Records GC may delete (segments 0 and 1) are not expected back.
        if ((await wal.append(record(i, 60))).position.segmentId >= 2) acknowledged.push(i);
        if (i === 30) await wal.deleteSegmentsBefore({ segmentId: 2, offset: 0 });
      }
      await wal.close();
    };
    const probe = base.fork();
    const start = probe.operations;
    await run(probe, []);
    const total = probe.operations - start;
    expect(total).toBeGreaterThan(50);
    for (let k = 0; k < total; k++) {
      for (const mode of ['prefix', 'subset'] as const) {
        const storage = base.fork({ seed: k + 1 });
        storage.injectFault({ kind: 'crash', afterOps: k });
        const acknowledged: number[] = [];
        await run(storage, acknowledged).catch((error: unknown) => {
          expect((error as { code?: string }).code).toMatch(/ERR_CRASHED|ERR_FAILED|ERR_IO/);
        });
        storage.clearFaults();
        storage.crash({ mode });
        const { wal, recovery } = await Wal.open({ storage, fsync: 'always', maxSegmentSize: small });
        expect(recovery.corruptions, `crash after ${k} ops (${mode})`).toEqual([]);
        expect(recovery.quarantined).toEqual([]);
        const read = await indices(wal);
        for (const i of acknowledged) expect(read, `record ${i} after a crash at op ${k} (${mode})`).toContain(i);
        await wal.close();
      }
    }
  });
});
