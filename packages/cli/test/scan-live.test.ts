import { openSync, closeSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { concatBytes } from '@nori/test-support';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord } from '@nori/codec';
import { segmentName, Wal } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { readWalDirectory, scanLog, scanSegment, verifyWal } from '../src/index.js';
import { cleanupScratch, scratchDir } from './helpers.js';

afterAll(cleanupScratch);

// What a writer in another process does while a read-only command reads, made deterministic:
// the changes are made from the scan's own callbacks, at the worst moment.

const records = Array.from({ length: 6 }, (_, i) => encodeRecord({ key: `k${i}`, value: 'v'.repeat(40 + i) }));

/** Writes `segments` (bytes per segment) as `000000.wal`, `000001.wal`, ... in a new directory. */
async function writeLog(segments: readonly Uint8Array[]): Promise<string> {
  const dir = join(await scratchDir('nori-cli-live-'), 'wal');
  await mkdir(dir);
  await Promise.all(segments.map((bytes, id) => writeFile(join(dir, segmentName(id)), bytes)));
  return dir;
}

describe('scans of a log that changes while it is read', () => {
  it('a preallocated tail trimmed during the scan ends the segment at its data (no "file shrank" error)', async () => {
    const data = concatBytes(records);
    const dir = await writeLog([concatBytes([data, new Uint8Array(4096)])]);
    const [segment] = (await readWalDirectory(dir)).segments;
    if (segment === undefined) throw new Error('no segment');
    let trimmed = false;
    const scan = await scanSegment(
      segment,
      {
        record() {
          // The writer rotates: it trims the zeros after its last record.
          if (!trimmed) truncateSync(segment.path, data.length);
          trimmed = true;
        },
      },
      { chunkSize: 64 },
    );
    expect(scan).toMatchObject({ records: records.length, dataEnd: data.length, size: data.length, trailer: undefined, corruptions: [] });
  });

  it('a record caught half written is read again: whole now, so not damage', async () => {
    const whole = concatBytes(records);
    const third = (records[0]?.length ?? 0) + (records[1]?.length ?? 0);
    const half = Uint8Array.from(whole);
    half.fill(0, third + 10, third + (records[2]?.length ?? 0));
    const dir = await writeLog([half]);
    const path = join(dir, segmentName(0));
    let reads = 0;
    const [segment] = (await readWalDirectory(dir)).segments;
    if (segment === undefined) throw new Error('no segment');
    const scan = await scanSegment(segment, undefined, {
      onRead() {
        // The first read saw the record half written; the writer finishes it right after.
        if (reads++ > 0) return;
        const fd = openSync(path, 'r+');
        writeSync(fd, whole, third, records[2]?.length ?? 0, third);
        closeSync(fd);
      },
    });
    expect(scan.corruptions).toEqual([]);
    expect(scan.records).toBe(records.length);
  });

  it('damage that is still there when read again is corruption', async () => {
    const bytes = concatBytes(records);
    const third = (records[0]?.length ?? 0) + (records[1]?.length ?? 0);
    bytes.fill(0, third + 10, third + 20);
    const [segment] = (await readWalDirectory(await writeLog([bytes]))).segments;
    if (segment === undefined) throw new Error('no segment');
    const scan = await scanSegment(segment, undefined, {});
    expect(scan.corruptions).toEqual([{ segmentId: 0, offset: third, length: records[2]?.length, reason: 'crc-mismatch' }]);
  });

  it('segments deleted by GC before they were read end what was read before them; no missing segment', async () => {
    const dir = await writeLog([0, 1, 2, 3, 4].map((i) => concatBytes([records[i] as Uint8Array])));
    const directory = await readWalDirectory(dir);
    const gone: number[] = [];
    const scan = await scanLog(
      directory,
      {},
      {
        record(_scanner, position) {
          // While segment 0 is read, GC deletes the oldest segments, 0 to 2.
          if (position.segmentId === 0) for (const id of [0, 1, 2]) unlinkSync(join(dir, segmentName(id)));
        },
        gone: (id) => gone.push(id),
      },
    );
    expect(gone).toEqual([1, 2]);
    expect(scan.gone).toEqual([1, 2]);
    expect(scan.corruptions).toEqual([]);
    expect(scan.segments.map((segment) => segment.id)).toEqual([3, 4]);
    expect(scan.records).toBe(2);
    expect(scan.bytes).toBe((records[3]?.length ?? 0) + (records[4]?.length ?? 0));
  });

  it('a first segment deleted before it was read is left out silently', async () => {
    const dir = await writeLog([0, 1, 2].map((i) => concatBytes([records[i] as Uint8Array])));
    const directory = await readWalDirectory(dir);
    unlinkSync(join(dir, segmentName(0)));
    const scan = await scanLog(directory);
    expect({ gone: scan.gone, ids: scan.segments.map((segment) => segment.id), corruptions: scan.corruptions }).toEqual({
      gone: [],
      ids: [1, 2],
      corruptions: [],
    });
  });

  it('a partial record at the end while a running writer holds the lock is the live end (exit 0), not a torn tail', async () => {
    const dir = join(await scratchDir('nori-cli-live-'), 'wal');
    const { wal } = await Wal.open({ dir, preallocate: true, maxSegmentSize: 64 * 1024 });
    try {
      for (let i = 0; i < 5; i++) await wal.append({ key: `k${i}`, value: 'v'.repeat(100) });
      const end = wal.writtenPosition;
      // The next record, caught half written.
      const next = encodeRecord({ key: 'k5', value: 'v'.repeat(100) });
      const fd = openSync(join(dir, segmentName(end.segmentId)), 'r+');
      writeSync(fd, next, 0, 40, end.offset);
      closeSync(fd);
      const report = await verifyWal(dir);
      expect(report.tail).toMatchObject({ kind: 'live', position: end });
      expect(report.exitCode).toBe(0);
      expect(report.corruptions).toEqual([]);
    } finally {
      await wal.close();
    }
  });
});
