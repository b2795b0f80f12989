/**
 * The conformance suite every `ObjectStore` must pass (vitest). Usage:
 *
 * ```ts
 * import { runObjectStoreConformance } from '@nori/archive/conformance';
 * runObjectStoreConformance(async () => ({ store: new MyStore() }), { name: 'MyStore' });
 * ```
 */
import { crc32c } from '@nori/codec';
import { describe, expect, it } from 'vitest';
import { ArchiveError, type ArchiveErrorCode } from './errors.js';
import type { MemoryObjectFault } from './memory/faults.js';
import type { ObjectStore, ObjectSummary } from './types.js';

/** What one test gets from the factory: a store with no objects (under its prefix). */
export interface ObjectStoreHarness {
  store: ObjectStore;
  /**
   * Damages the stored bytes of `key` behind the store's back, keeping the recorded CRC32C
   * (needed for `supports.corruption`).
   */
  corrupt?: (key: string) => Promise<void>;
  /** Arms a fault as `MemoryObjectStore.injectFault` does (needed for `supports.faults`). */
  injectFault?: (fault: MemoryObjectFault) => void;
  /** Called after the test (e.g. to delete its objects or close the client). */
  cleanup?: () => Promise<void>;
}

/** Makes a fresh harness for one test. */
export type ObjectStoreFactory = () => ObjectStoreHarness | Promise<ObjectStoreHarness>;

/** Optional behaviour a store has (and its harness can drive). */
export interface ObjectStoreSupports {
  /** `harness.corrupt` exists: test that reads detect damaged objects. Default false. */
  corruption?: boolean;
  /** `harness.injectFault` exists: test what callers see under faults. Default false. */
  faults?: boolean;
  /**
   * The list page size the harness configured is this small (e.g. 2): the listing tests write
   * more keys than that to cross page boundaries. Default: 2.
   */
  listPageSize?: number;
}

/** Options of {@link runObjectStoreConformance}. */
export interface ObjectStoreConformanceOptions {
  /** Name of the `describe` block (default `ObjectStore`). */
  name?: string;
  supports?: ObjectStoreSupports;
}

const encoder = new TextEncoder();

function bytesOf(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Asserts equal bytes without a per-element diff of large arrays. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.length), Buffer.from(expected.buffer, expected.byteOffset, expected.length))).toBe(
    0,
  );
}

/** Resolves to the ArchiveError `promise` rejects with; fails if it resolves or throws anything else. */
async function rejection(promise: Promise<unknown>, code: ArchiveErrorCode): Promise<ArchiveError> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ArchiveError);
  expect((error as ArchiveError).code).toBe(code);
  return error as ArchiveError;
}

async function collect(iterable: AsyncIterable<ObjectSummary>): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of iterable) keys.push(entry.key);
  return keys;
}

/** Deterministic pseudo-random bytes (no PRNG state shared between tests). */
function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

type Body = (harness: ObjectStoreHarness) => Promise<void>;

function withHarness(factory: ObjectStoreFactory, body: Body): () => Promise<void> {
  return async () => {
    const harness = await factory();
    try {
      await body(harness);
    } finally {
      await harness.cleanup?.();
    }
  };
}

function putGetSuite(factory: ObjectStoreFactory): void {
  describe('put / get / head', () => {
    it(
      'round-trips bytes and reports size and CRC32C',
      withHarness(factory, async ({ store }) => {
        const bytes = patternBytes(70_000, 1);
        const info = await store.put('segments/000001.wal', bytes);
        expect(info).toMatchObject({ key: 'segments/000001.wal', size: bytes.length, crc32c: crc32c(bytes) >>> 0 });
        const got = await store.get('segments/000001.wal');
        expectSameBytes(got.bytes, bytes);
        expect(got.verified).toBe(true);
        expect(got.info).toMatchObject({ size: bytes.length, crc32c: crc32c(bytes) >>> 0 });
        expect(await store.head('segments/000001.wal')).toMatchObject({ size: bytes.length, crc32c: crc32c(bytes) >>> 0 });
      }),
    );

    it(
      'stores empty objects',
      withHarness(factory, async ({ store }) => {
        await store.put('empty', new Uint8Array(0));
        const got = await store.get('empty');
        expect(got.bytes.length).toBe(0);
        expect(got.info.crc32c).toBe(0);
        expect((await store.get('empty', { range: { offset: 0 } })).bytes.length).toBe(0);
        await rejection(store.get('empty', { range: { offset: 0, length: 1 } }), 'ERR_INVALID_RANGE');
      }),
    );

    it(
      'replaces an object on a plain put',
      withHarness(factory, async ({ store }) => {
        const first = await store.put('k', bytesOf('first'));
        const second = await store.put('k', bytesOf('second, longer'));
        expectSameBytes((await store.get('k')).bytes, bytesOf('second, longer'));
        expect(second.etag).not.toBe(first.etag);
      }),
    );

    it(
      'copies bytes in and out (later mutation of either array changes nothing stored)',
      withHarness(factory, async ({ store }) => {
        const bytes = bytesOf('immutable');
        await store.put('k', bytes);
        bytes[0] = 0;
        const got = await store.get('k');
        expectSameBytes(got.bytes, bytesOf('immutable'));
        got.bytes[1] = 0;
        expectSameBytes((await store.get('k')).bytes, bytesOf('immutable'));
      }),
    );

    it(
      'fails with ERR_NOT_FOUND naming the key for get and head of a missing key',
      withHarness(factory, async ({ store }) => {
        expect((await rejection(store.get('missing/key'), 'ERR_NOT_FOUND')).key).toBe('missing/key');
        expect((await rejection(store.head('missing/key'), 'ERR_NOT_FOUND')).key).toBe('missing/key');
      }),
    );

    it(
      'stores keys with non-ASCII characters, spaces and punctuation',
      withHarness(factory, async ({ store }) => {
        const keys = ['ü/ñ é', 'a+b=c&d', 'x%2Fy', 'tab?query#frag'];
        for (const [i, key] of keys.entries()) await store.put(key, bytesOf(`v${i}`));
        for (const [i, key] of keys.entries()) expectSameBytes((await store.get(key)).bytes, bytesOf(`v${i}`));
      }),
    );
  });
}

function conditionalSuite(factory: ObjectStoreFactory): void {
  describe('conditional create (ifNoneMatch: "*")', () => {
    it(
      'creates a missing key',
      withHarness(factory, async ({ store }) => {
        await store.put('c', bytesOf('one'), { ifNoneMatch: '*' });
        expectSameBytes((await store.get('c')).bytes, bytesOf('one'));
      }),
    );

    it(
      'refuses an existing key with ERR_PRECONDITION_FAILED and keeps the stored object',
      withHarness(factory, async ({ store }) => {
        await store.put('c', bytesOf('original'));
        const error = await rejection(store.put('c', bytesOf('intruder'), { ifNoneMatch: '*' }), 'ERR_PRECONDITION_FAILED');
        expect(error.key).toBe('c');
        expect(error.retryable).toBe(false);
        expectSameBytes((await store.get('c')).bytes, bytesOf('original'));
      }),
    );

    it(
      'lets exactly one of concurrent creators win',
      withHarness(factory, async ({ store }) => {
        const contenders = [0, 1, 2, 3].map((i) => bytesOf(`writer ${i}`));
        const results = await Promise.allSettled(contenders.map((bytes) => store.put('race', bytes, { ifNoneMatch: '*' })));
        const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
        expect(winners.length).toBe(1);
        for (const result of results) {
          if (result.status === 'rejected') {
            expect(result.reason).toBeInstanceOf(ArchiveError);
            expect(['ERR_PRECONDITION_FAILED', 'ERR_CONFLICT']).toContain((result.reason as ArchiveError).code);
          }
        }
        expectSameBytes((await store.get('race')).bytes, contenders[winners[0] as number] as Uint8Array);
      }),
    );

    it(
      'creates again after a delete',
      withHarness(factory, async ({ store }) => {
        await store.put('c', bytesOf('one'), { ifNoneMatch: '*' });
        await store.delete('c');
        await store.put('c', bytesOf('two'), { ifNoneMatch: '*' });
        expectSameBytes((await store.get('c')).bytes, bytesOf('two'));
      }),
    );
  });
}

function checksumSuite(factory: ObjectStoreFactory, supports: ObjectStoreSupports): void {
  describe('checksums', () => {
    it(
      'accepts a put whose checksum matches its bytes',
      withHarness(factory, async ({ store }) => {
        const bytes = bytesOf('checked');
        expect((await store.put('k', bytes, { checksum: crc32c(bytes) >>> 0 })).crc32c).toBe(crc32c(bytes) >>> 0);
      }),
    );

    it(
      'refuses a put whose checksum differs with ERR_CHECKSUM_MISMATCH and writes nothing',
      withHarness(factory, async ({ store }) => {
        const bytes = bytesOf('damaged in memory');
        const error = await rejection(store.put('k', bytes, { checksum: (crc32c(bytes) ^ 1) >>> 0 }), 'ERR_CHECKSUM_MISMATCH');
        expect(error.message).toContain('k');
        await rejection(store.head('k'), 'ERR_NOT_FOUND');
      }),
    );

    if (supports.corruption === true) {
      it(
        'fails a full read of a damaged object with ERR_CHECKSUM_MISMATCH naming the key',
        withHarness(factory, async ({ store, corrupt }) => {
          await store.put('rotten/000007.wal', patternBytes(4096, 7));
          await corrupt?.('rotten/000007.wal');
          const error = await rejection(store.get('rotten/000007.wal'), 'ERR_CHECKSUM_MISMATCH');
          expect(error.key).toBe('rotten/000007.wal');
          expect(error.message).toContain('rotten/000007.wal');
        }),
      );
    }
  });
}

function rangeSuite(factory: ObjectStoreFactory): void {
  describe('ranged get', () => {
    const bytes = patternBytes(1000, 3);

    it(
      'returns the requested bytes, unverified, with the whole object size',
      withHarness(factory, async ({ store }) => {
        await store.put('r', bytes);
        const middle = await store.get('r', { range: { offset: 100, length: 250 } });
        expectSameBytes(middle.bytes, bytes.subarray(100, 350));
        expect(middle.verified).toBe(false);
        expect(middle.info.size).toBe(1000);
        expectSameBytes((await store.get('r', { range: { offset: 990 } })).bytes, bytes.subarray(990));
        expectSameBytes((await store.get('r', { range: { offset: 0, length: 1000 } })).bytes, bytes);
      }),
    );

    it(
      'returns no bytes for empty ranges inside or at the end of the object',
      withHarness(factory, async ({ store }) => {
        await store.put('r', bytes);
        expect((await store.get('r', { range: { offset: 10, length: 0 } })).bytes.length).toBe(0);
        expect((await store.get('r', { range: { offset: 1000 } })).bytes.length).toBe(0);
      }),
    );

    it(
      'refuses ranges that reach past the end or are malformed with ERR_INVALID_RANGE',
      withHarness(factory, async ({ store }) => {
        await store.put('r', bytes);
        await rejection(store.get('r', { range: { offset: 1001 } }), 'ERR_INVALID_RANGE');
        await rejection(store.get('r', { range: { offset: 900, length: 101 } }), 'ERR_INVALID_RANGE');
        await rejection(store.get('r', { range: { offset: -1 } }), 'ERR_INVALID_RANGE');
        await rejection(store.get('r', { range: { offset: 0, length: 1.5 } }), 'ERR_INVALID_RANGE');
      }),
    );

    it(
      'fails with ERR_NOT_FOUND for a range of a missing key',
      withHarness(factory, async ({ store }) => {
        await rejection(store.get('missing', { range: { offset: 0, length: 1 } }), 'ERR_NOT_FOUND');
      }),
    );
  });
}

function listSuite(factory: ObjectStoreFactory, supports: ObjectStoreSupports): void {
  const pageSize = supports.listPageSize ?? 2;
  describe('list', () => {
    it(
      'yields nothing for an empty prefix range',
      withHarness(factory, async ({ store }) => {
        expect(await collect(store.list('nothing/'))).toEqual([]);
      }),
    );

    it(
      'yields the keys under a prefix in UTF-8 byte order across pages',
      withHarness(factory, async ({ store }) => {
        // UTF-16 order would put '\u{1F600}' (surrogates) before '\uFF5E'; UTF-8 order does not.
        const keys = ['p/b', 'p/a', 'p/A', 'p/a/b', 'p/a-b', 'p/\uFF5E', 'p/\u{1F600}', 'p/é'];
        for (const key of [...keys, 'q/outside', 'o']) await store.put(key, bytesOf(key));
        const expected = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(keys.length).toBeGreaterThan(pageSize * 2);
        expect(await collect(store.list('p/'))).toEqual(expected);
      }),
    );

    it(
      'reports sizes',
      withHarness(factory, async ({ store }) => {
        await store.put('s/one', patternBytes(11, 1));
        const entries: ObjectSummary[] = [];
        for await (const entry of store.list('s/')) entries.push(entry);
        expect(entries.map(({ key, size }) => ({ key, size }))).toEqual([{ key: 's/one', size: 11 }]);
      }),
    );

    it(
      'resumes after startAfter (exclusive)',
      withHarness(factory, async ({ store }) => {
        const keys = ['l/000001', 'l/000002', 'l/000003', 'l/000004', 'l/000005', 'l/000006'];
        for (const key of keys) await store.put(key, bytesOf(key));
        expect(await collect(store.list('l/', { startAfter: 'l/000002' }))).toEqual(keys.slice(2));
        expect(await collect(store.list('l/', { startAfter: 'l/0000025' }))).toEqual(keys.slice(2));
        expect(await collect(store.list('l/', { startAfter: 'l/000006' }))).toEqual([]);
        expect(await collect(store.list('l/', { startAfter: 'a' }))).toEqual(keys);
      }),
    );

    it(
      'does not list deleted keys',
      withHarness(factory, async ({ store }) => {
        await store.put('d/1', bytesOf('1'));
        await store.put('d/2', bytesOf('2'));
        await store.delete('d/1');
        expect(await collect(store.list('d/'))).toEqual(['d/2']);
      }),
    );
  });
}

function deleteSuite(factory: ObjectStoreFactory): void {
  describe('delete', () => {
    it(
      'removes an object; removing a missing key succeeds',
      withHarness(factory, async ({ store }) => {
        await store.put('x', bytesOf('x'));
        await store.delete('x');
        await rejection(store.get('x'), 'ERR_NOT_FOUND');
        await store.delete('x');
        await store.delete('never/was');
      }),
    );
  });
}

/** Keys every store must refuse before any I/O. */
export const INVALID_KEYS: readonly string[] = [
  '',
  '/abs',
  'trailing/',
  'a//b',
  '.',
  '..',
  'a/../b',
  'a/./b',
  'nul\u0000',
  'line\nbreak',
  'del\u007f',
  '\uD800lone',
  'x'.repeat(1025),
];

function argumentSuite(factory: ObjectStoreFactory): void {
  describe('arguments', () => {
    it(
      'refuses invalid keys with ERR_INVALID_KEY for every operation',
      withHarness(factory, async ({ store }) => {
        for (const key of INVALID_KEYS) {
          await rejection(store.put(key, bytesOf('v')), 'ERR_INVALID_KEY');
          await rejection(store.get(key), 'ERR_INVALID_KEY');
          await rejection(store.head(key), 'ERR_INVALID_KEY');
          await rejection(store.delete(key), 'ERR_INVALID_KEY');
        }
        await rejection(collect(store.list('a//')), 'ERR_INVALID_KEY');
        await rejection(collect(store.list('/')), 'ERR_INVALID_KEY');
      }),
    );

    it(
      'accepts a key of exactly 1024 UTF-8 bytes',
      withHarness(factory, async ({ store }) => {
        const key = 'k'.repeat(1024);
        // A store with a key prefix may legitimately refuse it as too long; nothing else.
        try {
          await store.put(key, bytesOf('long'));
        } catch (error) {
          expect((error as ArchiveError).code).toBe('ERR_INVALID_KEY');
          return;
        }
        expectSameBytes((await store.get(key)).bytes, bytesOf('long'));
      }),
    );

    it(
      'refuses non-byte bodies and malformed checksums with ERR_INVALID_ARGUMENT',
      withHarness(factory, async ({ store }) => {
        await rejection(store.put('k', 'text' as unknown as Uint8Array), 'ERR_INVALID_ARGUMENT');
        await rejection(store.put('k', bytesOf('v'), { checksum: -1 }), 'ERR_INVALID_ARGUMENT');
        await rejection(store.put('k', bytesOf('v'), { checksum: 2 ** 32 }), 'ERR_INVALID_ARGUMENT');
        await rejection(store.head('k'), 'ERR_NOT_FOUND');
      }),
    );
  });
}

function abortSuite(factory: ObjectStoreFactory): void {
  describe('AbortSignal', () => {
    it(
      'fails every call with an already aborted signal with ERR_ABORTED and does nothing',
      withHarness(factory, async ({ store }) => {
        const signal = AbortSignal.abort(new Error('shutting down'));
        await store.put('kept', bytesOf('kept'));
        await rejection(store.put('k', bytesOf('v'), { signal }), 'ERR_ABORTED');
        await rejection(store.get('kept', { signal }), 'ERR_ABORTED');
        await rejection(store.head('kept', { signal }), 'ERR_ABORTED');
        await rejection(store.delete('kept', { signal }), 'ERR_ABORTED');
        await rejection(collect(store.list('', { signal })), 'ERR_ABORTED');
        await rejection(store.head('k'), 'ERR_NOT_FOUND');
        expectSameBytes((await store.get('kept')).bytes, bytesOf('kept'));
      }),
    );

    it(
      'fails a call aborted while in flight with ERR_ABORTED',
      withHarness(factory, async ({ store }) => {
        const controller = new AbortController();
        const pending = store.put('inflight', patternBytes(1 << 20, 9), { signal: controller.signal });
        controller.abort();
        await rejection(pending, 'ERR_ABORTED');
      }),
    );
  });
}

function faultSuite(factory: ObjectStoreFactory): void {
  describe('faults', () => {
    it(
      'an unreachable store fails with retryable ERR_UNAVAILABLE and writes nothing',
      withHarness(factory, async ({ store, injectFault }) => {
        injectFault?.({ kind: 'unavailable', op: 'put', times: 1 });
        const error = await rejection(store.put('u', bytesOf('u'), { ifNoneMatch: '*' }), 'ERR_UNAVAILABLE');
        expect(error.retryable).toBe(true);
        await rejection(store.head('u'), 'ERR_NOT_FOUND');
        await store.put('u', bytesOf('u'), { ifNoneMatch: '*' });
      }),
    );

    it(
      'after a lost put response, a conditional retry reports ERR_PRECONDITION_FAILED and the object is whole',
      withHarness(factory, async ({ store, injectFault }) => {
        const bytes = patternBytes(5000, 11);
        injectFault?.({ kind: 'lost-response', op: 'put', times: 1 });
        await rejection(store.put('seg', bytes, { ifNoneMatch: '*' }), 'ERR_UNAVAILABLE');
        await rejection(store.put('seg', bytes, { ifNoneMatch: '*' }), 'ERR_PRECONDITION_FAILED');
        // The caller resolves the ambiguity by comparing checksums: same CRC32C, same upload.
        expect((await store.head('seg')).crc32c).toBe(crc32c(bytes) >>> 0);
        expectSameBytes((await store.get('seg')).bytes, bytes);
      }),
    );

    it(
      'a timed-out read fails with retryable ERR_TIMEOUT',
      withHarness(factory, async ({ store, injectFault }) => {
        await store.put('t', bytesOf('t'));
        injectFault?.({ kind: 'timeout', op: 'get', times: 1 });
        expect((await rejection(store.get('t'), 'ERR_TIMEOUT')).retryable).toBe(true);
        expectSameBytes((await store.get('t')).bytes, bytesOf('t'));
      }),
    );
  });
}

/**
 * Registers the object store conformance tests under `describe(options.name)`. `factory` is
 * called once per test and must return a harness whose store holds no objects.
 */
export function runObjectStoreConformance(factory: ObjectStoreFactory, options: ObjectStoreConformanceOptions = {}): void {
  const supports = options.supports ?? {};
  describe(`${options.name ?? 'ObjectStore'}: object store conformance`, () => {
    putGetSuite(factory);
    conditionalSuite(factory);
    checksumSuite(factory, supports);
    rangeSuite(factory);
    listSuite(factory, supports);
    deleteSuite(factory);
    argumentSuite(factory);
    abortSuite(factory);
    if (supports.faults === true) faultSuite(factory);
  });
}
