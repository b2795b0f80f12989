import { rmSync } from 'node:fs';
import { appendFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, type Position } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { SEALED_FILE } from '../src/sealed.js';
import { ExitCode, readWalDirectory, scanLog, verifyWal } from '../src/index.js';
import { cleanupScratch, scratchDir } from './helpers.js';

afterAll(cleanupScratch);

/** A log written by @nori/wal over at least 5 sealed 4 KiB segments. */
async function sealedLog(): Promise<{ dir: string; positions: Position[] }> {
  const dir = join(await scratchDir('nori-cli-sealed-'), 'wal');
  const { wal } = await Wal.open({ dir, fsync: 'os', preallocate: false, maxSegmentSize: 4096 });
  const positions: Position[] = [];
  for (let i = 0; i < 200; i++) positions.push((await wal.append({ key: `k${i}`, value: new Uint8Array(100).fill(i) })).position);
  await wal.close();
  expect(positions.at(-1)?.segmentId).toBeGreaterThanOrEqual(5);
  return { dir, positions };
}

const seg = (dir: string, id: number): string => join(dir, `${String(id).padStart(6, '0')}.wal`);

describe('verify reports holes sealed.log reveals', () => {
  const cases: { name: string; reason: string; damage: (dir: string, positions: Position[]) => Promise<void> }[] = [
    { name: 'a zero-length middle segment', reason: 'sealed-shorter', damage: (dir) => truncate(seg(dir, 2), 0) },
    {
      name: 'an all-zero middle segment',
      reason: 'sealed-changed',
      damage: async (dir) => writeFile(seg(dir, 2), Buffer.alloc((await readFile(seg(dir, 2))).length)),
    },
    {
      name: 'a middle segment cut at a record boundary',
      reason: 'sealed-shorter',
      damage: (dir, positions) => truncate(seg(dir, 2), (positions.filter((p) => p.segmentId === 2)[5] as Position).offset),
    },
    { name: 'garbage after a sealed end', reason: 'sealed-longer', damage: (dir) => appendFile(seg(dir, 2), Buffer.alloc(50, 0x5a)) },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 3`, async () => {
      const { dir, positions } = await sealedLog();
      expect((await verifyWal(dir, { preview: false })).status).toBe('clean');
      await c.damage(dir, positions);
      const report = await verifyWal(dir, { preview: false });
      expect(report.exitCode).toBe(ExitCode.CORRUPT);
      expect(report.corruptions.map((d) => [d.segmentId, d.reason])).toContainEqual([2, c.reason]);
    });
  }

  it('segments missing at the end: exit 3; without sealed.log (a Rust-written log) as before', async () => {
    const { dir, positions } = await sealedLog();
    const last = positions.at(-1)?.segmentId as number;
    await rm(seg(dir, last));
    await rm(seg(dir, last - 1));
    const report = await verifyWal(dir, { preview: false });
    expect(report.exitCode).toBe(ExitCode.CORRUPT);
    // One entry per gap, as for gaps in the middle (see segment-names.test.ts).
    expect(report.corruptions).toEqual([{ segmentId: last - 1, offset: 0, length: 0, reason: 'missing-segment', missingSegments: 2 }]);
    await rm(join(dir, SEALED_FILE));
    expect((await verifyWal(dir, { preview: false })).status).toBe('clean');
  });

  it('a sealed.log larger than the directory can explain is refused before it is read', async () => {
    const { dir } = await sealedLog();
    const files = (await readWalDirectory(dir)).segments.length;
    await truncate(join(dir, SEALED_FILE), 40 * (files + 1024 + 1) + 1);
    await expect(verifyWal(dir)).rejects.toMatchObject({ code: 'ERR_BAD_SEALED' });
  });

  it('a sealed segment collected by a live writer right after it was scanned is no error', async () => {
    const { dir } = await sealedLog();
    const directory = await readWalDirectory(dir);
    const first = directory.segments[0];
    if (first === undefined) throw new Error('no segment');
    let collected = false;
    const scan = await scanLog(directory, {
      // Called once a segment is read, before its sealed.log comparison: GC removes it then.
      onProgress: (done) => {
        if (!collected && done >= first.size) {
          collected = true;
          rmSync(first.path);
        }
      },
    });
    expect(collected).toBe(true);
    expect(scan.corruptions).toEqual([]);
  });
});
