import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wal, segmentName } from '@nori/wal';
import { GOLDEN_DIR, goldenCases } from '@nori/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { Archiver, MemoryObjectStore, restore } from '../src/index.js';
import { testOptions } from './archiver-support.js';

const cases = await goldenCases();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-archive-golden-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Each local segment's logical bytes (a preallocated tail beyond `size` is not part of the log). */
async function logicalSegments(wal: Wal, dir: string): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  for (const segment of await wal.segments()) result.set(segment.name, fs.readFileSync(path.join(dir, segment.name)).subarray(0, segment.size));
  return result;
}

describe('restore of Rust-written logs archived by the Archiver', () => {
  it('covers every golden case, an empty first segment included', () => {
    expect(cases.map((c) => c.dir).sort()).toEqual(['basic', 'lz4', 'prealloc', 'rotation_small', 'torn', 'zstd']);
    expect(fs.statSync(path.join(GOLDEN_DIR, 'rotation_small', segmentName(0))).size).toBe(0);
  });

  for (const golden of cases) {
    it(`${golden.dir}: Wal.open + Archiver + flush, restore is the local log byte for byte`, async () => {
      const dir = path.join(scratch, golden.dir);
      fs.cpSync(path.join(GOLDEN_DIR, golden.dir), dir, { recursive: true });
      const store = new MemoryObjectStore();
      const { wal, recovery } = await Wal.open({ dir, fsync: 'always', maxSegmentSize: golden.config.max_segment_size, preallocate: false });
      expect(recovery.records).toBe(golden.rust_recovery.read_back_count);
      let local: Map<string, Buffer>;
      try {
        await using archiver = await Archiver.start(wal, testOptions(store));
        await wal.append({ key: 'after-rust', value: 'appended by nori' });
        expect(await archiver.flush()).toEqual(wal.durablePosition);
        local = await logicalSegments(wal, dir);
      } finally {
        await wal.close();
      }
      const target = path.join(scratch, `${golden.dir}-restored`);
      const report = await restore({ store, prefix: 'arch', dir: target });
      expect(report.records).toBe(golden.rust_recovery.read_back_count + 1);
      const restored = fs
        .readdirSync(target)
        .filter((name) => name.endsWith('.wal'))
        .sort();
      expect(restored, 'every local segment, empty ones included').toEqual([...local.keys()].sort());
      for (const name of restored) {
        const bytes = fs.readFileSync(path.join(target, name));
        const source = local.get(name) as Buffer;
        expect(bytes.length, `${name} length`).toBe(source.length);
        expect(Buffer.compare(bytes, source), `${name} bytes`).toBe(0);
      }
      const reopened = await Wal.open({ dir: target, readOnly: true, recovery: 'strict' });
      expect(reopened.recovery.records).toBe(golden.rust_recovery.read_back_count + 1);
      await reopened.wal.close();
    });
  }
});
