import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Wal, type WalEntry } from '../src/index.js';
import { GOLDEN_DIR, collect, copyGoldenCase, goldenCases, hex, unhex, type GoldenRecord } from '@nori/test-support';

const cases = await goldenCases();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function expectRecord(actual: WalEntry, expected: GoldenRecord): void {
  expect(hex(actual.key)).toBe(expected.key_hex);
  expect(hex(actual.value)).toBe(expected.value_hex);
  expect(actual.tombstone).toBe(expected.tombstone);
  expect(actual.ttlMs).toBe(expected.ttl_ms === null ? undefined : BigInt(expected.ttl_ms));
  expect(actual.compression).toBe(expected.compression);
  expect(actual.position).toEqual({ segmentId: expected.position.segment_id, offset: expected.position.offset });
  expect(actual.size).toBe(expected.encoded_len);
}

describe('golden Rust nori-wal directories', () => {
  it('has every case the issue names', () => {
    expect(cases.map((c) => c.name).sort()).toEqual(['basic', 'lz4', 'prealloc', 'rotation_small', 'torn', 'zstd']);
  });

  for (const golden of cases) {
    it(`opens ${golden.name} with exactly the records Rust recovered`, async () => {
      const { dir, cleanup } = await copyGoldenCase(golden.dir);
      cleanups.push(cleanup);
      const { wal, recovery } = await Wal.open({ dir, preallocate: false, fsync: 'os' });
      try {
        const entries = await collect(wal.read());
        const expected = golden.rust_recovery.read_back_indices.map((i) => golden.records[i] as GoldenRecord);
        expect(entries).toHaveLength(expected.length);
        entries.forEach((entry, i) => expectRecord(entry, expected[i] as GoldenRecord));
        expect(recovery.records).toBe(golden.rust_recovery.recovery_info.valid_records);
        expect(recovery.corruptions).toEqual([]);
        const last = golden.rust_recovery.recovery_info.last_valid_position;
        expect(recovery.lastPosition).toEqual({ segmentId: last.segment_id, offset: last.offset });
        expect(recovery.bytesTruncated).toBe(golden.rust_recovery.recovery_info.bytes_truncated);
      } finally {
        await wal.close();
      }
      // After close, the files are what Rust left after its recovery (trimmed, nothing else).
      for (const file of golden.rust_recovery.files_after_recovery) {
        expect((await stat(path.join(dir, file.name))).size, file.name).toBe(file.size);
      }
    });
  }

  it('reports the torn tail of `torn` and the zero-filled tail of `prealloc`', async () => {
    const torn = await copyGoldenCase('torn');
    cleanups.push(torn.cleanup);
    const a = await Wal.open({ dir: torn.dir, readOnly: true });
    expect(a.recovery.tail).toBe('torn');
    await a.wal.close();
    const prealloc = await copyGoldenCase('prealloc');
    cleanups.push(prealloc.cleanup);
    const b = await Wal.open({ dir: prealloc.dir, readOnly: true });
    expect(b.recovery.tail).toBe('zero-filled');
    expect(b.recovery.corruptions).toEqual([]);
    await b.wal.close();
  });

  it('writes the `basic` records byte-identical to the Rust segment (preallocate on, then close)', async () => {
    const golden = cases.find((c) => c.name === 'basic');
    if (golden === undefined) throw new Error('basic case missing');
    const { dir, cleanup } = await copyGoldenCase('lz4');
    cleanups.push(cleanup);
    const target = path.join(dir, 'fresh');
    const { wal } = await Wal.open({ dir: target, preallocate: true, fsync: 'os', maxSegmentSize: 1024 * 1024 });
    for (const r of golden.records) {
      const { position } = await wal.append({
        key: unhex(r.key_hex),
        value: unhex(r.value_hex),
        tombstone: r.tombstone,
        ...(r.ttl_ms === null ? {} : { ttlMs: BigInt(r.ttl_ms) }),
        compression: r.compression,
      });
      expect(position).toEqual({ segmentId: r.position.segment_id, offset: r.position.offset });
    }
    await wal.close();
    const ours = await readFile(path.join(target, '000000.wal'));
    const rust = await readFile(path.join(GOLDEN_DIR, 'basic', '000000.wal'));
    expect(ours.length).toBe(rust.length);
    expect(ours.equals(rust)).toBe(true);
  });

  it('appends Rust-compatible positions after the golden rotation_small records (4 KiB segments)', async () => {
    const golden = cases.find((c) => c.name === 'rotation_small');
    if (golden === undefined) throw new Error('rotation_small case missing');
    const { dir, cleanup } = await copyGoldenCase('lz4');
    cleanups.push(cleanup);
    const target = path.join(dir, 'rot');
    const { wal } = await Wal.open({ dir: target, preallocate: false, fsync: 'os', maxSegmentSize: 4096 });
    for (const r of golden.records) {
      const { position } = await wal.append({
        key: unhex(r.key_hex),
        value: unhex(r.value_hex),
        tombstone: r.tombstone,
        ...(r.ttl_ms === null ? {} : { ttlMs: BigInt(r.ttl_ms) }),
        compression: r.compression,
      });
      expect(position).toEqual({ segmentId: r.position.segment_id, offset: r.position.offset });
    }
    await wal.close();
    for (const file of golden.files) {
      const ours = await readFile(path.join(target, file.name));
      const rust = await readFile(path.join(GOLDEN_DIR, 'rotation_small', file.name));
      expect(ours.equals(rust), file.name).toBe(true);
    }
  });

  it('leaves the same files as Rust for `prealloc`: rotated segment trimmed, tail preallocated with zeros', async () => {
    const golden = cases.find((c) => c.name === 'prealloc');
    if (golden === undefined) throw new Error('prealloc case missing');
    const { dir, cleanup } = await copyGoldenCase('lz4');
    cleanups.push(cleanup);
    const target = path.join(dir, 'prealloc');
    const { wal } = await Wal.open({ dir: target, preallocate: true, fsync: 'os', maxSegmentSize: golden.config.max_segment_size });
    for (const r of golden.records) {
      const { position } = await wal.append({ key: unhex(r.key_hex), value: unhex(r.value_hex), compression: r.compression });
      expect(position).toEqual({ segmentId: r.position.segment_id, offset: r.position.offset });
    }
    // Like Rust's mem::forget: no close, the files are what the page cache holds now.
    for (const file of golden.files) {
      const ours = await readFile(path.join(target, file.name));
      const rust = await readFile(path.join(GOLDEN_DIR, 'prealloc', file.name));
      expect(ours.length, file.name).toBe(file.size);
      expect(ours.equals(rust), file.name).toBe(true);
    }
    await wal.close();
  });
});
