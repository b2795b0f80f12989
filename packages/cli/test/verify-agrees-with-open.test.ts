import { appendFile, open as openFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, type Position } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyWal, type VerifyStatus } from '../src/index.js';
import { cleanupScratch, copyGolden, scratchDir } from './helpers.js';

afterAll(cleanupScratch);

const seg = (dir: string, id: number): string => join(dir, `${String(id).padStart(6, '0')}.wal`);

/** A log written by @nori/wal over 4 KiB segments (sealed.log lists the sealed ones). */
async function writtenLog(): Promise<{ dir: string; positions: Position[]; last: number }> {
  const dir = join(await scratchDir('nori-cli-agree-'), 'wal');
  const { wal } = await Wal.open({ dir, fsync: 'os', preallocate: false, maxSegmentSize: 4096 });
  const positions: Position[] = [];
  for (let i = 0; i < 150; i++) positions.push((await wal.append({ key: `k${i}`, value: new Uint8Array(100).fill(i) })).position);
  await wal.close();
  const last = positions.at(-1)?.segmentId as number;
  expect(last).toBeGreaterThanOrEqual(3);
  return { dir, positions, last };
}

/** Flips one byte of a file. */
async function flip(path: string, offset: number): Promise<void> {
  const handle = await openFile(path, 'r+');
  try {
    const byte = new Uint8Array(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = (byte[0] as number) ^ 0xff;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

const inSegment = (positions: Position[], id: number): Position[] => positions.filter((p) => p.segmentId === id);

/** What a default read-only `Wal.open` found, as verify's statuses name it. */
async function openStatus(dir: string): Promise<VerifyStatus> {
  try {
    const { wal, recovery } = await Wal.open({ dir, readOnly: true });
    await wal.close();
    return recovery.corruptions.length > 0 ? 'corrupt' : recovery.tail === 'torn' ? 'torn-tail' : 'clean';
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_RECORD_TOO_LARGE') return 'corrupt';
    throw error;
  }
}

type Damage = (log: { dir: string; positions: Position[]; last: number }) => Promise<unknown>;

const CASES: { name: string; expected: VerifyStatus; damage: Damage }[] = [
  { name: 'an undamaged log', expected: 'clean', damage: async () => undefined },
  {
    name: 'a CRC mismatch in the middle of a sealed segment',
    expected: 'corrupt',
    damage: ({ dir, positions }) => flip(seg(dir, 1), (inSegment(positions, 1)[3] as Position).offset + 30),
  },
  {
    name: 'a CRC mismatch in the last segment, valid records after it',
    expected: 'corrupt',
    damage: ({ dir, positions, last }) => flip(seg(dir, last), (inSegment(positions, last)[0] as Position).offset + 30),
  },
  { name: 'a missing middle segment', expected: 'corrupt', damage: ({ dir }) => rm(seg(dir, 1)) },
  { name: 'the last segment missing (sealed.log lists its predecessor)', expected: 'corrupt', damage: ({ dir, last }) => rm(seg(dir, last)) },
  {
    name: 'a sealed segment cut at a record boundary',
    expected: 'corrupt',
    damage: ({ dir, positions }) => truncate(seg(dir, 1), (inSegment(positions, 1)[5] as Position).offset),
  },
  {
    name: 'a sealed segment zeroed',
    expected: 'corrupt',
    damage: async ({ dir }) => writeFile(seg(dir, 1), Buffer.alloc((await readFile(seg(dir, 1))).length)),
  },
  { name: 'garbage after a sealed end', expected: 'corrupt', damage: ({ dir }) => appendFile(seg(dir, 1), Buffer.alloc(50, 0x5a)) },
  {
    name: 'an unsealed segment cut mid-record, later segments with data (no sealed.log)',
    expected: 'corrupt',
    damage: async ({ dir, positions }) => {
      await rm(join(dir, 'sealed.log'));
      await truncate(seg(dir, 0), (inSegment(positions, 0).at(-1) as Position).offset + 40);
    },
  },
  {
    name: 'the last record cut in half',
    expected: 'torn-tail',
    damage: ({ dir, positions, last }) => truncate(seg(dir, last), (inSegment(positions, last).at(-1) as Position).offset + 40),
  },
  { name: 'garbage after the last record', expected: 'torn-tail', damage: ({ dir, last }) => appendFile(seg(dir, last), Buffer.alloc(70, 0xa5)) },
  { name: 'zeros after the last record (preallocated space)', expected: 'clean', damage: ({ dir, last }) => appendFile(seg(dir, last), Buffer.alloc(4000)) },
  {
    name: 'a region an earlier salvage recorded in salvaged.json',
    expected: 'clean',
    damage: async ({ dir, positions }) => {
      await flip(seg(dir, 1), (inSegment(positions, 1)[3] as Position).offset + 30);
      const { wal, recovery } = await Wal.open({ dir, recovery: 'salvage', preallocate: false });
      await wal.close();
      expect(recovery.skipped.length).toBe(1);
    },
  },
];

describe('verify and a default Wal.open reach the same verdict (one decideRecovery)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const log = await writtenLog();
      await c.damage(log);
      const verified = (await verifyWal(log.dir, { preview: false })).status;
      expect(verified).toBe(await openStatus(log.dir));
      expect(verified).toBe(c.expected);
    });
  }

  for (const [name, expected] of [
    ['basic', 'clean'],
    ['lz4', 'clean'],
    ['zstd', 'clean'],
    ['rotation_small', 'clean'],
    ['prealloc', 'clean'],
    ['torn', 'torn-tail'],
  ] as const) {
    it(`golden case ${name}`, async () => {
      const dir = await copyGolden(name);
      const verified = (await verifyWal(dir, { preview: false })).status;
      expect(verified).toBe(await openStatus(dir));
      expect(verified).toBe(expected);
    });
  }
});
