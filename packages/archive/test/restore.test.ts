import { join } from 'node:path';
import { readdir, writeFile } from 'node:fs/promises';
import { encodeRecord } from '@nori/codec';
import { MemoryStorage } from '@nori/storage';
import { Wal } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { expectByteArrays } from '@nori/test-support';
import { ChunkKind, MemoryObjectStore, newWriterId, restore } from '../src/index.js';
import { archiveLog, putChunk } from './support/archive-log.js';
import { wrapStore } from './support/wrapped-store.js';
import { cleanupScratch, copyGolden, expectSameSegments, readAll, scratchDir, writeLog } from './support/local-log.js';
import { expectCode } from './archiver-support.js';

afterAll(cleanupScratch);

async function target(): Promise<string> {
  return join(await scratchDir(), 'restored');
}

describe('restore', () => {
  it('restores a multi-segment log byte for byte from chunks of varying sizes', async () => {
    const source = await writeLog(400);
    const store = new MemoryObjectStore({ listPageSize: 7 });
    const chunks = await archiveLog({ store, prefix: 'db', dir: source, chunkSizes: [1, 700, 5000, 90] });
    const dir = await target();
    const progress: number[] = [];
    const report = await restore({ store, prefix: 'db', dir, prefetch: 3, onProgress: (p) => progress.push(p.chunks) });
    await expectSameSegments(source, dir);
    const [before, after] = [await readAll(source), await readAll(dir)];
    expect(after.length).toBe(400);
    expectByteArrays(
      after.map((e) => e.key),
      before.map((e) => e.key),
      'keys',
    );
    expectByteArrays(
      after.map((e) => e.value),
      before.map((e) => e.value),
      'values',
    );
    expect(after.map((e) => e.position)).toEqual(before.map((e) => e.position));
    const last = chunks.at(-1)!;
    expect(report).toMatchObject({ generation: 1, startSeq: 0, lastSeq: last.seq, chunks: chunks.length, records: 400, tailBytesDropped: 0 });
    expect(report.end).toEqual({ segmentId: last.segmentId, offset: last.offset + last.length });
    expect(report.segments).toBe(new Set(chunks.slice(1).map((c) => c.segmentId)).size);
    expect(progress).toEqual(chunks.map((_, i) => i + 1));
  });

  it.each(['rotation_small', 'basic', 'lz4', 'zstd', 'prealloc'])('restores the archived Rust log %s byte for byte', async (name) => {
    const source = await copyGolden(name);
    const store = new MemoryObjectStore();
    await archiveLog({ store, prefix: 'rust/', dir: source, chunkSizes: [3000, 1, 20_000] });
    const dir = await target();
    const report = await restore({ store, prefix: 'rust/', dir });
    await expectSameSegments(source, dir);
    expect((await readAll(dir)).length).toBe((await readAll(source)).length);
    expect(report.records).toBe((await readAll(source)).length);
    // A writer opens the result and appends where the archived log ended.
    const { wal } = await Wal.open({ dir, preallocate: false });
    expect((await wal.append({ key: 'after', value: 'restore' })).position).toEqual(report.end);
    await wal.close();
  });

  it('cuts at the last record boundary at or below `to`', async () => {
    const source = await writeLog(200);
    const entries = await readAll(source);
    const store = new MemoryObjectStore();
    await archiveLog({ store, prefix: 'p', dir: source, chunkSizes: [2500] });
    const record = entries[123]!;
    const mid = { segmentId: record.position.segmentId, offset: record.position.offset + 3 };
    const dir = await target();
    const report = await restore({ store, prefix: 'p', dir, to: mid });
    expect(report.end).toEqual(record.position);
    expect(report.records).toBe(123);
    await expectSameSegments(source, dir, record.position);
    expect((await readAll(dir)).map((e) => e.key)).toEqual(entries.slice(0, 123).map((e) => e.key));

    const exact = await target();
    const end = { segmentId: record.position.segmentId, offset: record.position.offset + record.size };
    expect((await restore({ store, prefix: 'p', dir: exact, to: end })).records).toBe(124);
    await expectSameSegments(source, exact, end);
  });

  it('refuses a `to` outside the archived range', async () => {
    const source = await writeLog(20);
    const store = new MemoryObjectStore();
    await archiveLog({ store, prefix: 'p', dir: source });
    await expectCode(restore({ store, prefix: 'p', dir: await target(), to: { segmentId: 99, offset: 0 } }), 'ERR_TARGET_UNREACHABLE');
    await expectCode(restore({ store, prefix: 'p', dir: await target(), to: { segmentId: -1, offset: 0 } }), 'ERR_INVALID_ARGUMENT');
  });

  it('restores to a time: every chunk cut at or before it', async () => {
    const source = await writeLog(150);
    const store = new MemoryObjectStore();
    const chunks = await archiveLog({ store, prefix: 'p', dir: source, chunkSizes: [900], createdAt: (i) => Date.UTC(2026, 0, 1, 0, i) });
    const cutAt = chunks[4]!;
    const dir = await target();
    const report = await restore({ store, prefix: 'p', dir, toTime: new Date(Date.UTC(2026, 0, 1, 0, 4, 30)) });
    const end = { segmentId: cutAt.segmentId, offset: cutAt.offset + cutAt.length };
    expect(report).toMatchObject({ chunks: 5, lastSeq: cutAt.seq, end });
    await expectSameSegments(source, dir, end);
    await expectCode(restore({ store, prefix: 'p', dir: await target(), toTime: new Date(Date.UTC(2025, 0, 1)) }), 'ERR_TARGET_UNREACHABLE');
  });

  it('picks the newest generation by default, the requested one, or the one live at `toTime`', async () => {
    const [first, second] = [await writeLog(60, { seed: 1 }), await writeLog(90, { seed: 2 })];
    const store = new MemoryObjectStore();
    const one = await archiveLog({ store, prefix: 'p', dir: first, createdAt: (i) => 1_000 + i });
    await archiveLog({
      store,
      prefix: 'p',
      dir: second,
      generation: 2,
      startSeq: one.length,
      parentGeneration: 1,
      reason: 'takeover',
      createdAt: (i) => 5_000 + i,
    });
    const newest = await target();
    expect((await restore({ store, prefix: 'p', dir: newest })).generation).toBe(2);
    await expectSameSegments(second, newest);
    const older = await target();
    expect((await restore({ store, prefix: 'p', dir: older, generation: 1 })).generation).toBe(1);
    await expectSameSegments(first, older);
    expect((await restore({ store, prefix: 'p', dir: await target(), toTime: new Date(2_000) })).generation).toBe(1);
    // Generation 2's start chunk was cut at 5000, its first data chunk at 5001: at 5000 the log was generation 1's.
    expect((await restore({ store, prefix: 'p', dir: await target(), toTime: new Date(5_000) })).generation).toBe(1);
    expect((await restore({ store, prefix: 'p', dir: await target(), toTime: new Date(5_001) })).generation).toBe(2);
    await expectCode(restore({ store, prefix: 'p', dir: await target(), toTime: new Date(5_000), generation: 2 }), 'ERR_TARGET_UNREACHABLE');
    await expectCode(restore({ store, prefix: 'p', dir: await target(), generation: 3 }), 'ERR_NO_GENERATION');
    await expectCode(restore({ store, prefix: 'empty', dir: await target() }), 'ERR_NO_GENERATION');
  });

  it('finds a generation whose index record is missing from its chunk headers', async () => {
    const [first, second] = [await writeLog(40, { seed: 3 }), await writeLog(70, { seed: 4 })];
    const store = new MemoryObjectStore();
    const one = await archiveLog({ store, prefix: 'p', dir: first, writeRecord: false, chunkSizes: [200] });
    await archiveLog({ store, prefix: 'p', dir: second, generation: 2, startSeq: one.length, writeRecord: false, chunkSizes: [300] });
    const dir = await target();
    expect(await restore({ store, prefix: 'p', dir, generation: 1 })).toMatchObject({ generation: 1, lastSeq: one.at(-1)!.seq });
    await expectSameSegments(first, dir);
  });

  it('a missing chunk is ERR_OBJECT_MISSING naming its key; nothing is created', async () => {
    const source = await writeLog(100);
    const store = new MemoryObjectStore();
    const chunks = await archiveLog({ store, prefix: 'p', dir: source, chunkSizes: [500] });
    await store.delete(chunks[3]!.key);
    const dir = await target();
    const error = await expectCode(restore({ store, prefix: 'p', dir }), 'ERR_OBJECT_MISSING');
    expect(error.message).toContain(chunks[3]!.key);
    expect(error).toMatchObject({ key: chunks[3]!.key });
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a chunk that vanishes after the listing is ERR_OBJECT_MISSING too', async () => {
    const source = await writeLog(100);
    const inner = new MemoryObjectStore();
    const chunks = await archiveLog({ store: inner, prefix: 'p', dir: source, chunkSizes: [500] });
    const victim = chunks[5]!.key;
    const store = wrapStore(inner, {
      get: async (k, o) => {
        if (k === victim && o?.range === undefined) await inner.delete(victim);
        return inner.get(k, o);
      },
    });
    const error = await expectCode(restore({ store, prefix: 'p', dir: await target() }), 'ERR_OBJECT_MISSING');
    expect(error).toMatchObject({ key: victim });
  });

  it('a damaged chunk is ERR_ARCHIVE_CORRUPT naming its key', async () => {
    const source = await writeLog(100);
    const store = new MemoryObjectStore();
    const chunks = await archiveLog({ store, prefix: 'p', dir: source, chunkSizes: [500] });
    store.corrupt(chunks[2]!.key, { offset: 120 });
    const dir = await target();
    const error = await expectCode(restore({ store, prefix: 'p', dir }), 'ERR_ARCHIVE_CORRUPT');
    expect(error).toMatchObject({ key: chunks[2]!.key });
    expect(error.message).toContain(chunks[2]!.key);
    // The segment files written before the damage are removed: no partial log is left to open.
    await expect(readdir(dir)).resolves.toEqual([]);
  });

  it('damaged records inside a chunk with valid CRCs are ERR_ARCHIVE_CORRUPT naming the chunk', async () => {
    const source = await writeLog(60);
    const store = new MemoryObjectStore();
    const chunks = await archiveLog({ store, prefix: 'p', dir: source, chunkSizes: [400] });
    const victim = chunks[2]!;
    const { bytes } = await store.get(victim.key);
    const payload = bytes.slice(80);
    payload[10] = payload[10]! ^ 0xff; // inside the first record's key or value: its CRC fails
    await store.delete(victim.key);
    await putChunk(
      store,
      'p',
      {
        kind: ChunkKind.data,
        seq: victim.seq,
        generation: 1,
        segmentId: victim.segmentId,
        offset: victim.offset,
        createdAt: victim.createdAt,
        writerId: newWriterId(),
      },
      payload,
    );
    const error = await expectCode(restore({ store, prefix: 'p', dir: await target() }), 'ERR_ARCHIVE_CORRUPT');
    expect(error).toMatchObject({ key: victim.key });
  });

  it('a chunk that does not continue the log is ERR_ARCHIVE_CORRUPT', async () => {
    const source = await writeLog(60);
    const store = new MemoryObjectStore();
    const chunks = await archiveLog({ store, prefix: 'p', dir: source, chunkSizes: [400] });
    const last = chunks.at(-1)!;
    const key = await putChunk(
      store,
      'p',
      {
        kind: ChunkKind.data,
        seq: last.seq + 1,
        generation: 1,
        segmentId: last.segmentId,
        offset: last.offset + last.length + 1,
        createdAt: 1,
        writerId: newWriterId(),
      },
      new Uint8Array(8),
    );
    const error = await expectCode(restore({ store, prefix: 'p', dir: await target() }), 'ERR_ARCHIVE_CORRUPT');
    expect(error).toMatchObject({ key });
  });

  it('drops a torn tail in the last chunk like a local open drops a torn tail', async () => {
    const source = await writeLog(80);
    const store = new MemoryObjectStore();
    const chunks = await archiveLog({ store, prefix: 'p', dir: source, chunkSizes: [600] });
    const last = chunks.at(-1)!;
    const record = encodeRecord({ key: 'torn', value: new Uint8Array(100).fill(9) });
    const half = record.subarray(0, record.length >> 1);
    await putChunk(
      store,
      'p',
      {
        kind: ChunkKind.data,
        seq: last.seq + 1,
        generation: 1,
        segmentId: last.segmentId,
        offset: last.offset + last.length,
        createdAt: 99_999,
        writerId: newWriterId(),
      },
      half,
    );
    const dir = await target();
    const report = await restore({ store, prefix: 'p', dir });
    expect(report).toMatchObject({ records: 80, tailBytesDropped: half.length, end: { segmentId: last.segmentId, offset: last.offset + last.length } });
    await expectSameSegments(source, dir);
    // The same bytes in a local log: a normal open truncates exactly the same tail.
    const local = await copyGolden('basic');
    await writeFile(join(local, '000000.wal'), half, { flag: 'a' });
    const { recovery } = await Wal.open({ dir: local, readOnly: true });
    expect(recovery).toMatchObject({ tail: 'torn', bytesTruncated: half.length });
  });

  it('restores into any Storage, e.g. MemoryStorage', async () => {
    const source = await writeLog(90);
    const store = new MemoryObjectStore();
    await archiveLog({ store, prefix: 'p', dir: source, chunkSizes: [700] });
    const storage = new MemoryStorage();
    expect((await restore({ store, prefix: 'p', storage })).records).toBe(90);
    const { wal } = await Wal.open({ storage, readOnly: true, recovery: 'strict' });
    const keys: string[] = [];
    for await (const entry of wal.read()) keys.push(entry.key.toString());
    await wal.close();
    expect(keys).toEqual((await readAll(source)).map((e) => e.key.toString()));
    await expectCode(restore({ store, prefix: 'p', storage }), 'ERR_DESTINATION_NOT_EMPTY');
    await expectCode(restore({ store, prefix: 'p', storage: new MemoryStorage(), generation: 0 }), 'ERR_INVALID_ARGUMENT');
  });

  it('refuses a destination that is not empty', async () => {
    const source = await writeLog(10);
    const store = new MemoryObjectStore();
    await archiveLog({ store, prefix: 'p', dir: source });
    const dir = await scratchDir();
    await writeFile(join(dir, 'keep.txt'), 'mine');
    await expectCode(restore({ store, prefix: 'p', dir }), 'ERR_DESTINATION_NOT_EMPTY');
    await expectCode(restore({ store, prefix: 'p' }), 'ERR_INVALID_ARGUMENT');
  });

  it('keeps at most `prefetch` chunk reads in flight and stops on abort', async () => {
    const source = await writeLog(200);
    const inner = new MemoryObjectStore();
    await archiveLog({ store: inner, prefix: 'p', dir: source, chunkSizes: [300] });
    let inFlight = 0;
    let most = 0;
    const controller = new AbortController();
    let reads = 0;
    let abortAfter = Number.POSITIVE_INFINITY;
    const store = wrapStore(inner, {
      get: async (k, o) => {
        if (o?.range !== undefined || !k.includes('/chunks/')) return inner.get(k, o);
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          return await inner.get(k, o);
        } finally {
          inFlight -= 1;
          if (++reads === abortAfter) controller.abort(new Error('stop'));
        }
      },
    });
    await restore({ store, prefix: 'p', dir: await target(), prefetch: 2 });
    expect(most).toBe(2);
    reads = 0;
    abortAfter = 12;
    await expectCode(restore({ store, prefix: 'p', dir: await target(), prefetch: 2, signal: controller.signal }), 'ERR_ABORTED');
    expect(reads).toBeLessThan(12 + 2 + 1);
  });
});
