import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wal, segmentName } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { Archiver, ChunkKind, MemoryObjectStore, listGenerations, restore } from '../src/index.js';
import { appendRecords, readChunks, testOptions } from './archiver-support.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-empty-segments-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => path.join(scratch, `d${dirs++}`);

const SEGMENT_SIZE = 4096;

/** Two full segments of records, written by the WAL (closed). */
async function recordSegments(): Promise<[string, string]> {
  const dir = freshDir();
  const { wal } = await Wal.open({ dir, fsync: 'always', maxSegmentSize: SEGMENT_SIZE, preallocate: false });
  await appendRecords(wal, 60);
  await wal.close();
  return [path.join(dir, segmentName(0)), path.join(dir, segmentName(1))];
}

/**
 * A WAL directory laid out as a crash right after rotations leaves it: `layout[i]` is segment i's
 * content, `'empty'` an empty file or the path of a segment file to copy.
 */
async function crashedLog(layout: readonly string[]): Promise<string> {
  const dir = freshDir();
  fs.mkdirSync(dir);
  layout.forEach((source, id) => {
    const target = path.join(dir, segmentName(id));
    if (source === 'empty') fs.writeFileSync(target, '');
    else fs.copyFileSync(source, target);
  });
  return dir;
}

function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.wal'))
    .sort();
}

/** Every segment file of `restored` equals the source's byte for byte, and none is missing. */
function expectIdenticalSegments(restored: string, source: string): void {
  expect(segmentFiles(restored)).toEqual(segmentFiles(source));
  for (const name of segmentFiles(source)) {
    const a = fs.readFileSync(path.join(restored, name));
    const b = fs.readFileSync(path.join(source, name));
    expect(a.length, `${name} length`).toBe(b.length);
    expect(Buffer.compare(a, b), `${name} bytes`).toBe(0);
  }
}

async function recordCount(dir: string): Promise<number> {
  const { wal } = await Wal.open({ dir, readOnly: true, recovery: 'strict' });
  let records = 0;
  for await (const entry of wal.read()) records += entry.key.length > 0 ? 1 : 0;
  await wal.close();
  return records;
}

describe('empty segments (LAYOUT.md "Empty segments")', () => {
  it('ships an empty first and an empty middle segment as empty-segment chunks; restore recreates them byte-identically', async () => {
    const [full0, full1] = await recordSegments();
    const dir = await crashedLog(['empty', full0, 'empty', full1, 'empty']);
    const store = new MemoryObjectStore();
    const { wal } = await Wal.open({ dir, fsync: 'always', maxSegmentSize: SEGMENT_SIZE, preallocate: false });
    {
      await using archiver = await Archiver.start(wal, testOptions(store));
      await appendRecords(wal, 10, { from: 60 }); // into segment 4, the active one
      expect(await archiver.flush()).toEqual(wal.durablePosition);
    }
    await wal.close();

    const data = (await readChunks(store, 'arch')).filter((c) => c.header.kind === ChunkKind.data);
    const empties = data.filter((c) => c.header.payloadLength === 0).map((c) => [c.header.segmentId, c.header.offset]);
    expect(empties).toEqual([
      [0, 0],
      [2, 0],
    ]);
    expect(new Set(data.map((c) => c.header.segmentId))).toEqual(new Set([0, 1, 2, 3, 4]));

    const target = freshDir();
    const report = await restore({ store, prefix: 'arch', dir: target });
    expect(report.segments).toBe(5);
    expect(report.records).toBe(70);
    expectIdenticalSegments(target, dir);
    expect(await recordCount(target)).toBe(70);
  });

  it('resumes after an empty-segment chunk without shipping it twice', async () => {
    const [full0] = await recordSegments();
    const dir = await crashedLog([full0, 'empty', 'empty']);
    const store = new MemoryObjectStore();
    const { wal } = await Wal.open({ dir, fsync: 'always', maxSegmentSize: SEGMENT_SIZE, preallocate: false });
    const first = await Archiver.start(wal, testOptions(store));
    expect(await first.flush()).toEqual({ segmentId: 2, offset: 0 });
    await first.close();
    const catalog = await listGenerations({ store, prefix: 'arch' });
    expect(catalog.generations[0]?.endPosition).toEqual({ segmentId: 2, offset: 0 });

    const second = await Archiver.start(wal, testOptions(store));
    expect(second.generation).toBe(first.generation);
    await appendRecords(wal, 5, { from: 60 });
    await second.flush();
    await second.close();
    await wal.close();

    const data = (await readChunks(store, 'arch')).filter((c) => c.header.kind === ChunkKind.data);
    expect(data.map((c) => [c.header.segmentId, c.header.payloadLength === 0])).toEqual([
      [0, false],
      [1, true],
      [2, false],
    ]);
    const target = freshDir();
    await restore({ store, prefix: 'arch', dir: target });
    expectIdenticalSegments(target, dir);
    const records = await recordCount(dir);
    expect(records).toBeGreaterThan(5);
    expect(await recordCount(target)).toBe(records);
  });

  it('restores an archive that ends with an empty-segment chunk: the empty segment is there, Wal.open appends after it', async () => {
    const [full0] = await recordSegments();
    const dir = await crashedLog([full0, 'empty', 'empty']);
    const store = new MemoryObjectStore();
    const { wal } = await Wal.open({ dir, fsync: 'always', maxSegmentSize: SEGMENT_SIZE, preallocate: false });
    const archiver = await Archiver.start(wal, testOptions(store));
    await archiver.flush();
    await archiver.close();
    await wal.close();

    const target = freshDir();
    const report = await restore({ store, prefix: 'arch', dir: target });
    expect(segmentFiles(target)).toEqual([segmentName(0), segmentName(1)]);
    expect(report.segments).toBe(2);
    expect(fs.statSync(path.join(target, segmentName(1))).size).toBe(0);
    expect(Buffer.compare(fs.readFileSync(path.join(target, segmentName(0))), fs.readFileSync(path.join(dir, segmentName(0))))).toBe(0);
    const reopened = await Wal.open({ dir: target, fsync: 'always', maxSegmentSize: SEGMENT_SIZE, preallocate: false });
    const records = await recordCount(dir);
    expect(reopened.recovery.records).toBe(records);
    await reopened.wal.append({ key: 'after', value: 'restore' });
    await reopened.wal.close();
    expect(await recordCount(target)).toBe(records + 1);
  });
});
