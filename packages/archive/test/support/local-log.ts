import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wal, parseSegmentName, type Position, type WalEntry } from '@nori/wal';
import { expect } from 'vitest';

/** The golden Rust nori-wal logs. */
export const GOLDEN_DIR = fileURLToPath(new URL('../../../../testdata/golden/nori-wal-rust/', import.meta.url));

const scratch: string[] = [];

/** A fresh temporary directory, removed by {@link cleanupScratch}. */
export async function scratchDir(label = 'nori-archive-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), label));
  scratch.push(dir);
  return dir;
}

/** Removes every directory {@link scratchDir} made. */
export async function cleanupScratch(): Promise<void> {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A copy of golden case `name` in a scratch directory. */
export async function copyGolden(name: string): Promise<string> {
  const dir = join(await scratchDir(), name);
  await cp(join(GOLDEN_DIR, name), dir, { recursive: true });
  return dir;
}

/** Writes `count` records of varying sizes into a new WAL with small segments; returns its dir. */
export async function writeLog(count: number, options: { maxSegmentSize?: number; seed?: number } = {}): Promise<string> {
  const dir = join(await scratchDir(), 'source');
  const { wal } = await Wal.open({ dir, maxSegmentSize: options.maxSegmentSize ?? 4096, fsync: 'os', preallocate: false });
  const seed = options.seed ?? 7;
  for (let i = 0; i < count; i++) {
    const size = ((i * 37 + seed) % 300) + 1;
    await wal.append({ key: `key-${i}`, value: new Uint8Array(size).fill(i % 251) });
  }
  await wal.close();
  return dir;
}

/** Every record of the WAL in `dir` (opened read-only, strict). */
export async function readAll(dir: string): Promise<WalEntry[]> {
  const { wal } = await Wal.open({ dir, readOnly: true, recovery: 'strict' });
  try {
    const entries: WalEntry[] = [];
    for await (const entry of wal.read({ copy: true })) entries.push(entry);
    return entries;
  } finally {
    await wal.close();
  }
}

/** Segment files of `dir` by id, with their bytes. */
export async function segmentFiles(dir: string): Promise<Map<number, Buffer>> {
  const files = new Map<number, Buffer>();
  for (const name of (await readdir(dir)).sort()) {
    const id = parseSegmentName(name);
    if (id !== undefined) files.set(id, await readFile(join(dir, name)));
  }
  return files;
}

/**
 * Asserts the restored segments are the source's bytes up to `end` (default: the source's
 * logical end): every restored segment equals the source segment's prefix, byte for byte, and
 * every source segment with data from `fromSegment` (retention) to `end` is there.
 */
export async function expectSameSegments(sourceDir: string, restoredDir: string, end?: Position, fromSegment = 0): Promise<void> {
  const { wal } = await Wal.open({ dir: sourceDir, readOnly: true });
  const logical = new Map((await wal.segments()).map((s) => [s.id, s.size]));
  await wal.close();
  const source = await segmentFiles(sourceDir);
  const restored = await segmentFiles(restoredDir);
  for (const [id, size] of logical) {
    if (id < fromSegment) {
      expect(restored.has(id), `segment ${id} is before the retained ones`).toBe(false);
      continue;
    }
    const expected = end === undefined || id < end.segmentId ? size : id === end.segmentId ? Math.min(size, end.offset) : 0;
    if (expected === 0) {
      expect(restored.has(id), `segment ${id} should not be restored`).toBe(false);
      continue;
    }
    const bytes = restored.get(id);
    expect(bytes?.length, `segment ${id} length`).toBe(expected);
    expect(Buffer.compare(bytes as Buffer, (source.get(id) as Buffer).subarray(0, expected)), `segment ${id} bytes`).toBe(0);
  }
  expect([...restored.keys()].every((id) => logical.has(id))).toBe(true);
}
