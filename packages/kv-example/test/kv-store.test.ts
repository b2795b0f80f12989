import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MemoryStorage, type Storage } from '@nori/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { thrownCode } from './helpers/error-code.js';
import { KvError, KvStore, SNAPSHOT_FILE, SNAPSHOT_TEMP_FILE, type KvOpenOptions } from '../src/index.js';

const decoder = new TextDecoder();
const open: KvStore[] = [];

async function openStore(storage: Storage, options: Partial<KvOpenOptions> = {}): Promise<KvStore> {
  const store = await KvStore.open({ storage, fsync: 'always', preallocate: false, ...options });
  open.push(store);
  return store;
}

async function reopen(store: KvStore, storage: MemoryStorage, options: Partial<KvOpenOptions> = {}): Promise<KvStore> {
  await store.close();
  return openStore(storage, options);
}

function scanAll(store: KvStore, prefix?: string): [string, string][] {
  return [...store.scan(prefix === undefined ? {} : { prefix })].map((e) => [decoder.decode(e.key), decoder.decode(e.value)]);
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close().catch(() => undefined)));
});

describe('KvStore basics', () => {
  it('puts, gets, overwrites and deletes', async () => {
    const store = await openStore(new MemoryStorage());
    await store.put('a', '1');
    await store.put('b', new Uint8Array([0, 255, 7]));
    expect(store.getString('a')).toBe('1');
    expect(store.get('b')).toEqual(new Uint8Array([0, 255, 7]));
    await store.put('a', '2');
    expect(store.getString('a')).toBe('2');
    expect(await store.delete('a')).toBe(true);
    expect(await store.delete('a')).toBe(false);
    expect(store.has('a')).toBe(false);
    expect(store.get('missing')).toBeUndefined();
    expect(store.stats().keys).toBe(1);
  });

  it('treats a string key and its UTF-8 bytes as the same key, across snapshot and replay', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage);
    await store.put('é', 'accent');
    expect(store.getString(new Uint8Array([0xc3, 0xa9]))).toBe('accent');
    await store.put(new Uint8Array([0xc3, 0xa9]), 'bytes');
    await store.put('z', new Uint8Array([0xff, 0x00]));
    await store.put('ключ', 'значение');
    expect(scanAll(store).map(([k]) => k)).toEqual(['z', 'é', 'ключ']);
    await store.compact();
    await store.put('ü', 'after');
    store = await reopen(store, storage);
    expect(store.getString('é')).toBe('bytes');
    expect(store.get('z')).toEqual(new Uint8Array([0xff, 0x00]));
    expect(store.getString('ключ')).toBe('значение');
    expect([...store.scan({ prefix: 'ü' })].map((e) => decoder.decode(e.value))).toEqual(['after']);
  });

  it('keeps its own copy of byte values and hands out copies', async () => {
    const store = await openStore(new MemoryStorage());
    const value = new Uint8Array([1, 2, 3]);
    await store.put('k', value);
    value[0] = 9;
    const read = store.get('k') as Uint8Array;
    read[1] = 9;
    expect(store.get('k')).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('applies concurrent writes in call order', async () => {
    const store = await openStore(new MemoryStorage(), { fsync: { kind: 'batch', windowMs: 1 } });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) writes.push(store.put('counter', String(i)));
    writes.push(store.delete('counter'));
    writes.push(store.put('counter', 'last'));
    await Promise.all(writes);
    expect(store.getString('counter')).toBe('last');
  });

  it('scans in byte order with prefix and limit', async () => {
    const store = await openStore(new MemoryStorage());
    for (const key of ['user:2', 'user:10', 'session:1', 'user:1', 'users']) await store.put(key, key.toUpperCase());
    expect(scanAll(store, 'user:').map(([k]) => k)).toEqual(['user:1', 'user:10', 'user:2']);
    expect([...store.scan({ prefix: 'user', limit: 2 })].map((e) => decoder.decode(e.key))).toEqual(['user:1', 'user:10']);
    expect(scanAll(store).length).toBe(5);
    expect(() => [...store.scan({ limit: -1 })]).toThrow(KvError);
  });

  it('rebuilds the index from the log on reopen', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage);
    await store.put('x', '1');
    await store.put('y', '2');
    await store.delete('x');
    await store.batch([
      { type: 'put', key: 'z', value: '3' },
      { type: 'del', key: 'y' },
    ]);
    store = await reopen(store, storage);
    expect(scanAll(store)).toEqual([['z', '3']]);
    expect(store.openReport.replayedRecords).toBe(5);
    expect(store.openReport.snapshot).toBeUndefined();
  });
});

describe('replay', () => {
  it('rebuilds every value of a log larger than the read buffers (values are copies, not views)', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage, { fsync: 'os' });
    // ~5 MiB: the reader recycles its two 1 MiB buffers several times during replay.
    const value = (i: number): Uint8Array => new Uint8Array(1000).fill(i % 251);
    for (let i = 0; i < 5000; i += 500) {
      await store.batch(Array.from({ length: 500 }, (_, j) => ({ type: 'put' as const, key: `k${i + j}`, value: value(i + j) })));
    }
    await store.put('ttl', 'lives', { ttlMs: 3_600_000 });
    store = await reopen(store, storage, { fsync: 'os' });
    const wrong = Array.from({ length: 5000 }, (_, i) => i).filter((i) => store.get(`k${i}`)?.every((b) => b === i % 251) !== true);
    expect(wrong).toEqual([]);
    expect(store.getString('ttl')).toBe('lives');
  });
});

describe('TTL', () => {
  it('expires keys by the clock, before and after a reopen', async () => {
    const storage = new MemoryStorage();
    let now = 1_000_000;
    const clock = () => now;
    let store = await openStore(storage, { now: clock });
    await store.put('short', 'v', { ttlMs: 100 });
    await store.put('long', 'v', { ttlMs: 10_000 });
    await store.put('abs', 'v', { expiresAt: now + 500 });
    await store.put('forever', 'v');
    expect(store.getEntry('short')?.expiresAt).toBe(1_000_100);
    now += 99;
    expect(store.has('short')).toBe(true);

    store = await reopen(store, storage, { now: clock });
    expect(store.has('short')).toBe(true);
    now += 1;
    expect(store.has('short')).toBe(false);

    now += 1_000;
    store = await reopen(store, storage, { now: clock });
    expect(scanAll(store).map(([k]) => k)).toEqual(['forever', 'long']);
    expect(store.openReport.expiredOnOpen).toBe(2);
    expect(store.getEntry('forever')?.expiresAt).toBeUndefined();
  });

  it('drops expired keys from the snapshot and counts them', async () => {
    const storage = new MemoryStorage();
    let now = 5_000;
    let store = await openStore(storage, { now: () => now });
    await store.put('a', '1', { ttlMs: 10 });
    await store.put('b', '2');
    now += 10;
    const result = await store.compact();
    expect(result.expiredDropped).toBe(1);
    expect(result.snapshot.entries).toBe(1);
    now -= 10; // even with the clock back, the expired key is not in the snapshot any more
    store = await reopen(store, storage, { now: () => now });
    expect(scanAll(store)).toEqual([['b', '2']]);
  });

  it('rejects bad TTLs with ERR_INVALID_TTL and writes nothing', async () => {
    const store = await openStore(new MemoryStorage());
    for (const options of [{ ttlMs: 0 }, { ttlMs: -5 }, { ttlMs: 1.5 }, { ttlMs: Number.NaN }, { expiresAt: 0 }, { ttlMs: 5, expiresAt: 10 }]) {
      await expect(store.put('k', 'v', options)).rejects.toMatchObject({ code: 'ERR_INVALID_TTL' });
    }
    await expect(store.batch([{ type: 'put', key: 'k', value: 'v', ttlMs: 0 }])).rejects.toMatchObject({ code: 'ERR_INVALID_TTL' });
    expect(store.stats().wal.appendedRecords).toBe(0);
  });
});

describe('batches', () => {
  it('applies all operations of a batch at once', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage);
    await store.put('old', 'x');
    await store.batch([
      { type: 'put', key: 'a', value: '1' },
      { type: 'put', key: 'b', value: '2', ttlMs: 60_000 },
      { type: 'del', key: 'old' },
    ]);
    expect(scanAll(store)).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    store = await reopen(store, storage);
    expect(scanAll(store)).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('validates every operation before writing', async () => {
    const store = await openStore(new MemoryStorage());
    await expect(
      store.batch([
        { type: 'put', key: 'a', value: '1' },
        { type: 'put', key: '', value: '2' },
      ]),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(store.batch([{ type: 'nope', key: 'a' } as never])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(store.has('a')).toBe(false);
    await store.batch([]);
    expect(store.stats().wal.appendedRecords).toBe(0);
  });
});

describe('snapshots and compaction', () => {
  it('snapshots, deletes covered segments and reopens from snapshot + log tail', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage, { maxSegmentSize: 4096 });
    for (let i = 0; i < 300; i++) await store.put(`k${String(i).padStart(3, '0')}`, `value-${i}-${'x'.repeat(40)}`);
    for (let i = 0; i < 300; i += 3) await store.delete(`k${String(i).padStart(3, '0')}`);
    const segmentsBefore = store.stats().wal.segments;
    expect(segmentsBefore).toBeGreaterThan(3);
    const result = await store.compact();
    expect(result.snapshot.entries).toBe(200);
    expect(result.segmentsDeleted.length).toBe(segmentsBefore - 1);
    expect(await storage.exists(SNAPSHOT_FILE)).toBe(true);
    await store.put('after', 'snapshot');
    await store.delete('k001');

    const expected = scanAll(store);
    store = await reopen(store, storage, { maxSegmentSize: 4096 });
    expect(scanAll(store)).toEqual(expected);
    expect(store.openReport.snapshot?.entries).toBe(200);
    expect(store.openReport.replayedRecords).toBe(2);
    expect(store.stats().snapshot?.position).toEqual(result.snapshot.position);
  });

  it('keeps writes issued during a compaction', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage, { fsync: { kind: 'batch', windowMs: 1 } });
    for (let i = 0; i < 50; i++) await store.put(`a${i}`, 'x');
    const writes: Promise<unknown>[] = [];
    const compaction = store.compact();
    for (let i = 0; i < 50; i++) writes.push(store.put(`b${i}`, 'y'));
    const second = store.compact();
    await Promise.all([...writes, compaction, second]);
    const expected = scanAll(store);
    expect(expected.length).toBe(100);
    store = await reopen(store, storage);
    expect(scanAll(store)).toEqual(expected);
  });

  it('removes a stale temp snapshot left by a crash', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage);
    await store.put('a', '1');
    await store.close();
    const file = await storage.open(SNAPSHOT_TEMP_FILE, { create: true });
    await file.writev([new Uint8Array([1, 2, 3])], 0);
    await file.close();
    store = await openStore(storage);
    expect(store.openReport.removedStaleTemp).toBe(true);
    expect(await storage.exists(SNAPSHOT_TEMP_FILE)).toBe(false);
    expect(store.getString('a')).toBe('1');
  });

  it('refuses a corrupt snapshot with ERR_SNAPSHOT_CORRUPT', async () => {
    const storage = new MemoryStorage();
    const store = await openStore(storage);
    await store.put('a', '1');
    await store.compact();
    await store.close();
    const file = await storage.open(SNAPSHOT_FILE);
    const byte = new Uint8Array(1);
    await file.read(byte, 0, 1, 50);
    byte[0] = (byte[0] as number) ^ 0x40;
    await file.writev([byte], 50);
    await file.sync();
    await file.close();
    await expect(openStore(storage)).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_CORRUPT' });
    // The failed open released the WAL lock: fixing the file makes the store usable again.
    await storage.remove(SNAPSHOT_FILE);
    const again = await openStore(storage);
    expect(again.getString('a')).toBe('1');
  });

  it('re-anchors a snapshot that covers more log than exists', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage, { maxSegmentSize: 2048 });
    for (let i = 0; i < 100; i++) await store.put(`k${i}`, 'v'.repeat(50));
    await store.compact();
    await store.close();
    // Simulate an operator deleting every WAL segment by hand.
    for (const name of await storage.list()) if (name.endsWith('.wal')) await storage.remove(name);
    store = await openStore(storage, { maxSegmentSize: 2048 });
    expect(store.openReport.reanchored).toBe(true);
    expect(store.stats().keys).toBe(100);
    await store.put('new', 'write');
    store = await reopen(store, storage, { maxSegmentSize: 2048 });
    expect(store.getString('new')).toBe('write');
    expect(store.stats().keys).toBe(101);
  });
});

describe('errors', () => {
  it('rejects bad keys and values with ERR_INVALID_ARGUMENT', async () => {
    const store = await openStore(new MemoryStorage());
    await expect(store.put('', 'v')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(store.put(42 as never, 'v')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(store.put('k', null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(thrownCode(() => store.get(''))).toBe('ERR_INVALID_ARGUMENT');
    await expect(KvStore.open({ storage: new MemoryStorage(), maxSegmentSize: 10 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(KvStore.open({ storage: new MemoryStorage(), fsync: 'sometimes' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('fails with ERR_ABORTED when the open is aborted, and releases the lock', async () => {
    const storage = new MemoryStorage();
    const store = await openStore(storage);
    for (let i = 0; i < 50; i++) await store.put(`k${i}`, 'v');
    await store.compact();
    for (let i = 50; i < 100; i++) await store.put(`k${i}`, 'v');
    await store.close();

    const before = new AbortController();
    before.abort(new Error('user pressed ^C'));
    await expect(KvStore.open({ storage, signal: before.signal })).rejects.toMatchObject({ code: 'ERR_ABORTED' });

    // Aborted after the snapshot loaded: the log replay stops, and the half-built index must not
    // be handed out.
    const during = new AbortController();
    const aborted = KvStore.open({
      storage,
      signal: during.signal,
      onProgress: (event) => {
        if (event.phase === 'snapshot-load') during.abort(new Error('user pressed ^C'));
      },
    });
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect((await openStore(storage)).stats().keys).toBe(100);
  });

  it('fails with ERR_CLOSED after close', async () => {
    const store = await openStore(new MemoryStorage());
    await store.close();
    await expect(store.put('k', 'v')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(thrownCode(() => store.get('k'))).toBe('ERR_CLOSED');
    await store.close();
  });

  it('fails with ERR_LOCKED while another store has the directory open', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'nori-kv-lock-'));
    try {
      const first = await KvStore.open({ dir });
      try {
        const error = await KvStore.open({ dir }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(KvError);
        expect(error).toMatchObject({ code: 'ERR_LOCKED' });
        expect((error as Error).message).toContain(`pid ${process.pid}`);
      } finally {
        await first.close();
      }
      const again = await KvStore.open({ dir });
      await again.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('fails with ERR_NO_STORE / ERR_BAD_DIR for unusable directories', async () => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'nori-kv-dir-'));
    try {
      await expect(KvStore.open({ dir: path.join(base, 'missing'), createIfMissing: false })).rejects.toMatchObject({ code: 'ERR_NO_STORE' });
      await expect(KvStore.open({ storage: new MemoryStorage(), createIfMissing: false })).rejects.toMatchObject({ code: 'ERR_NO_STORE' });
      const file = path.join(base, 'file');
      await fs.writeFile(file, 'not a directory');
      await expect(KvStore.open({ dir: file })).rejects.toMatchObject({ code: 'ERR_BAD_DIR' });
      await expect(KvStore.open({})).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    } finally {
      await fs.rm(base, { recursive: true, force: true });
    }
  });
});

describe('a snapshot that must exist', () => {
  async function compactedStore(storage: MemoryStorage): Promise<void> {
    const store = await openStore(storage, { maxSegmentSize: 4096 });
    for (let i = 0; i < 320; i++) await store.put(`k${String(i).padStart(3, '0')}`, `value-${i}-${'x'.repeat(40)}`);
    const result = await store.compact();
    expect(result.segmentsDeleted.length).toBeGreaterThan(0);
    for (let i = 0; i < 21; i++) await store.put(`k${String(i).padStart(3, '0')}`, 'after');
    await store.close();
  }

  it('refuses to open without kv.snapshot when compaction deleted the log before it, and changes nothing', async () => {
    const storage = new MemoryStorage();
    await compactedStore(storage);
    const snapshot = await readFile(storage, SNAPSHOT_FILE);
    await storage.remove(SNAPSHOT_FILE);
    const filesBefore = (await storage.list()).sort();
    const error = await openStore(storage, { maxSegmentSize: 4096 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KvError);
    expect((error as KvError).code).toBe('ERR_SNAPSHOT_MISSING');
    await expect(openStore(storage, { readOnly: true })).rejects.toMatchObject({ code: 'ERR_SNAPSHOT_MISSING' });
    expect((await storage.list()).sort()).toEqual(filesBefore);
    // Restoring the file is enough: nothing was lost or rewritten, and the lock was released.
    await writeFile(storage, SNAPSHOT_FILE, snapshot);
    const store = await openStore(storage, { maxSegmentSize: 4096 });
    expect(store.stats().keys).toBe(320);
    expect(store.getString('k000')).toBe('after');
    expect(store.getString('k319')).toBe(`value-319-${'x'.repeat(40)}`);
  });

  it('a store whose log still starts at 0:0 opens without a snapshot', async () => {
    const storage = new MemoryStorage();
    let store = await openStore(storage);
    await store.put('a', '1');
    await store.compact();
    store = await reopen(store, storage);
    await store.close();
    await storage.remove(SNAPSHOT_FILE);
    store = await openStore(storage);
    expect(store.getString('a')).toBe('1');
  });
});

describe('read-only stores', () => {
  it('opens while another store holds the lock, sees its acknowledged writes, and refuses writes', async () => {
    const storage = new MemoryStorage();
    const writer = await openStore(storage, { maxSegmentSize: 4096 });
    for (let i = 0; i < 100; i++) await writer.put(`k${i}`, `v${i}`);
    await writer.compact();
    await writer.put('late', 'write');
    await expect(openStore(storage)).rejects.toMatchObject({ code: 'ERR_LOCKED' });
    const reader = await openStore(storage, { readOnly: true, createIfMissing: false });
    expect(reader.stats().keys).toBe(101);
    expect(reader.getString('late')).toBe('write');
    await expect(reader.put('x', 'y')).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await expect(reader.delete('k1')).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await expect(reader.batch([{ type: 'del', key: 'k1' }])).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await expect(reader.compact()).rejects.toMatchObject({ code: 'ERR_READ_ONLY' });
    await reader.close();
    // The writer was never disturbed.
    await writer.put('after-reader', 'ok');
    expect(writer.stats().keys).toBe(102);
  });

  it('leaves a temp snapshot alone (it may be a running compaction) and never re-anchors', async () => {
    const storage = new MemoryStorage();
    const writer = await openStore(storage);
    await writer.put('a', '1');
    await writer.close();
    await writeFile(storage, SNAPSHOT_TEMP_FILE, new Uint8Array([1, 2, 3]));
    const reader = await openStore(storage, { readOnly: true });
    expect(reader.openReport.removedStaleTemp).toBe(false);
    expect(await storage.exists(SNAPSHOT_TEMP_FILE)).toBe(true);
    expect(reader.getString('a')).toBe('1');
  });

  it('fails with ERR_NO_STORE where there is no store', async () => {
    await expect(openStore(new MemoryStorage(), { readOnly: true })).rejects.toMatchObject({ code: 'ERR_NO_STORE' });
  });

  it('starts over when the writer compacts away the segment it is replaying', async () => {
    const memory = new MemoryStorage();
    const writer = await openStore(memory, { maxSegmentSize: 4096 });
    for (let i = 0; i < 100; i++) await writer.put(`a${i}`, 'v'.repeat(40));
    await writer.compact();
    for (let i = 0; i < 100; i++) await writer.put(`b${i}`, 'v'.repeat(40));
    // The reader's replay opens its first segment right after loading the snapshot: the
    // writer's compaction runs just then and deletes that segment.
    let snapshotRead = false;
    let compactions = 0;
    const racing = new Proxy(memory, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (property !== 'open' || typeof value !== 'function')
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        return async (name: string, options?: { readOnly?: boolean }) => {
          if (name === SNAPSHOT_FILE) snapshotRead = true;
          else if (snapshotRead && name.endsWith('.wal') && compactions === 0) {
            compactions++;
            await writer.compact();
          }
          return (value as MemoryStorage['open']).call(target, name, options);
        };
      },
    });
    const reader = await openStore(racing, { readOnly: true });
    expect(compactions).toBe(1);
    expect(reader.stats().keys).toBe(200);
  });
});

async function readFile(storage: MemoryStorage, name: string): Promise<Uint8Array> {
  const file = await storage.open(name, { readOnly: true });
  try {
    const bytes = new Uint8Array(await file.size());
    await file.read(bytes, 0, bytes.length, 0);
    return bytes;
  } finally {
    await file.close();
  }
}

async function writeFile(storage: MemoryStorage, name: string, bytes: Uint8Array): Promise<void> {
  const file = await storage.open(name, { create: true });
  try {
    await file.writev([bytes], 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await storage.syncDir();
}
