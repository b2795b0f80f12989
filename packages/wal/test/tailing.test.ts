import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { encodeRecord } from '@nori/codec';
import { MemoryStorage, NodeFileStorage, type Storage } from '@nori/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { Wal, WalError, type Position, type WalEntry } from '../src/index.js';
import { indexOf, record, tempDir } from '@nori/test-support';

const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/tail-writer.ts', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** Follows `wal` until `count` entries arrived, then stops the reader. */
async function follow(wal: Wal, count: number, from?: Position): Promise<WalEntry[]> {
  const controller = new AbortController();
  const out: WalEntry[] = [];
  for await (const entry of wal.read({ follow: true, signal: controller.signal, pollIntervalMs: 2, ...(from === undefined ? {} : { from }) })) {
    out.push(entry);
    if (out.length === count) controller.abort();
  }
  return out;
}

/** A storage that counts `list()` calls (a following read-only reader lists once per poll). */
function countingLists(inner: MemoryStorage): { storage: Storage; lists: () => number } {
  let lists = 0;
  const storage = new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'list') {
        return (...args: [string?]) => {
          lists++;
          return target.list(...args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage, lists: () => lists };
}

async function untilPolled(lists: () => number, times: number): Promise<void> {
  const target = lists() + times;
  while (lists() < target) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** A log with record 0 written by one Wal, and a readOnly follower on it whose storage counts list() calls. */
async function polledLog(): Promise<{ memory: MemoryStorage; lists: () => number; follower: Wal }> {
  const memory = new MemoryStorage();
  const { storage, lists } = countingLists(memory);
  const writer = await Wal.open({ storage: memory, fsync: 'os' });
  await writer.wal.append(record(0));
  await writer.wal.close();
  const { wal: follower } = await Wal.open({ storage, readOnly: true });
  return { memory, lists, follower };
}

describe('cross-process tailing: follow on a readOnly WAL', () => {
  it('sees every record another Wal instance appends, across rotations, in order and at its position', async () => {
    const { dir, cleanup } = await tempDir('nori-tail-');
    cleanups.push(cleanup);
    const writer = await Wal.open({ storage: new NodeFileStorage(dir, { preallocate: 'sparse' }), fsync: 'os', maxSegmentSize: 8 * 1024 });
    const positions: Position[] = [];
    for (let i = 0; i < 10; i++) positions.push((await writer.wal.append(record(i))).position);
    const follower = await Wal.open({ storage: new NodeFileStorage(dir), readOnly: true });
    const reading = follow(follower.wal, 300);
    for (let i = 10; i < 300; i++) {
      positions.push((await writer.wal.append(record(i, 100 + (i % 5) * 40))).position);
      if (i % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const entries = await reading;
    expect(new Set(positions.map((p) => p.segmentId)).size).toBeGreaterThan(5);
    expect(entries.map((e) => indexOf(e.key))).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(entries.map((e) => e.position)).toEqual(positions);
    entries.forEach((e, i) => expect(Buffer.from(e.value).equals(Buffer.from(record(i, e.value.length).value))).toBe(true));
    await writer.wal.close();
    await follower.wal.close();
  });

  it('starts from a position and picks up segments created after it opened (empty log at first)', async () => {
    const { dir, cleanup } = await tempDir('nori-tail-');
    cleanups.push(cleanup);
    const follower = await Wal.open({ storage: new NodeFileStorage(dir), readOnly: true });
    expect(follower.recovery.segments).toBe(0);
    const reading = follow(follower.wal, 120);
    const writer = await Wal.open({ storage: new NodeFileStorage(dir), fsync: 'os', maxSegmentSize: 4096, preallocate: false });
    const positions: Position[] = [];
    for (let i = 0; i < 120; i++) positions.push((await writer.wal.append(record(i))).position);
    expect((await reading).map((e) => e.position)).toEqual(positions);
    // From a recovered position of a second follower.
    const second = await Wal.open({ storage: new NodeFileStorage(dir), readOnly: true });
    const from = positions[50] as Position;
    const tail = follow(second.wal, 80, from);
    for (let i = 120; i < 130; i++) await writer.wal.append(record(i));
    expect((await tail).map((e) => indexOf(e.key))).toEqual(Array.from({ length: 80 }, (_, i) => 50 + i));
    await writer.wal.close();
    await follower.wal.close();
    await second.wal.close();
  });

  it('waits for a partly written record instead of reporting corruption, then returns it', async () => {
    const memory = new MemoryStorage();
    const { storage, lists } = countingLists(memory);
    const writer = await Wal.open({ storage: memory, fsync: 'os', maxSegmentSize: 64 * 1024 });
    await writer.wal.append(record(0));
    const end = (await writer.wal.append(record(1))).position;
    await writer.wal.close();
    const follower = await Wal.open({ storage, readOnly: true });
    const reading = follow(follower.wal, 3);
    // A record whose first half reached the file, then nothing for a while (preallocated zeros follow).
    const next = encodeRecord(record(2));
    const size = encodeRecord(record(1)).length;
    const file = await memory.open('000000.wal');
    await file.preallocate(64 * 1024);
    file.writevSync([next.subarray(0, 20)], end.offset + size);
    await untilPolled(lists, 3);
    // A follower that opens now sees the partial record as a torn tail and starts at its end.
    const late = await Wal.open({ storage, readOnly: true });
    expect(late.recovery.lastPosition).toEqual({ segmentId: 0, offset: end.offset + size });
    const lateReading = follow(late.wal, 1, late.recovery.lastPosition);
    await untilPolled(lists, 3);
    file.writevSync([next.subarray(20)], end.offset + size + 20);
    const entries = await reading;
    expect(entries.map((e) => indexOf(e.key))).toEqual([0, 1, 2]);
    expect(entries[2]?.position).toEqual({ segmentId: 0, offset: end.offset + size });
    expect((await lateReading).map((e) => e.position)).toEqual([entries[2]?.position]);
    await file.close();
    await follower.wal.close();
    await late.wal.close();
  });

  it('a final segment of another process ends in zeros (moves on) or in damage (ERR_CORRUPTION, torn or corrupt)', async () => {
    const size = encodeRecord(record(0)).length;
    /** Segment 0 holds record 0 then `tail`; segment 1 holds record 1 (written by "the other process"). */
    const tailFollowing = async (tail: Uint8Array): Promise<unknown> => {
      const { memory, lists, follower } = await polledLog();
      const seen: number[] = [];
      const reading = (async () => {
        for await (const entry of follower.read({ follow: true, pollIntervalMs: 2 })) {
          seen.push(indexOf(entry.key));
          if (seen.length === 2) return;
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      await untilPolled(lists, 2);
      const first = await memory.open('000000.wal');
      first.writevSync([tail], size);
      await first.close();
      const second = await memory.open('000001.wal', { create: true });
      second.writevSync([encodeRecord(record(1))], 0);
      await second.close();
      const outcome = await reading;
      await follower.close();
      return outcome ?? seen;
    };
    expect(await tailFollowing(new Uint8Array(64))).toEqual([0, 1]);
    const torn = await tailFollowing(encodeRecord(record(7)).subarray(0, 12));
    expect(torn).toMatchObject({ code: 'ERR_CORRUPTION', message: expect.stringContaining('a torn record in segment 000000') });
    const garbageThenRecord = new Uint8Array([...new Uint8Array(9).fill(0xee), ...encodeRecord(record(8))]);
    const corrupt = await tailFollowing(garbageThenRecord);
    expect(corrupt).toMatchObject({ code: 'ERR_CORRUPTION', message: expect.stringContaining(`corruption followed by a record at offset ${size + 9}`) });
  });

  it('close() ends a polling reader with ERR_CLOSED; a bad pollIntervalMs is ERR_INVALID_ARGUMENT', async () => {
    const { memory, lists, follower } = await polledLog();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const entry of follower.read({ follow: true, pollIntervalMs: 60_000 })) seen.push(indexOf(entry.key));
    })();
    await untilPolled(lists, 1);
    await follower.close();
    const error = await reading.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WalError);
    expect((error as WalError).code).toBe('ERR_CLOSED');
    expect(seen).toEqual([0]);

    const again = await Wal.open({ storage: memory, readOnly: true });
    for (const pollIntervalMs of [0, -1, Number.NaN]) {
      await expect(async () => {
        for await (const entry of again.wal.read({ follow: true, pollIntervalMs })) void entry;
      }).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    await again.wal.close();
  });

  it('follows a writer in a real child process', { timeout: 60_000 }, async () => {
    const { dir, cleanup } = await tempDir('nori-tail-child-');
    cleanups.push(cleanup);
    const follower = await Wal.open({ storage: new NodeFileStorage(dir), readOnly: true });
    const count = 400;
    const reading = follow(follower.wal, count);
    const child = spawn(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', CHILD, dir, String(count)], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(exit).toBe(0);
    const entries = await reading;
    expect(entries.map((e) => indexOf(e.key))).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(new Set(entries.map((e) => e.position.segmentId)).size).toBeGreaterThan(3);
    await follower.wal.close();
  });
});
