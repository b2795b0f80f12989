import { crc32c } from '@nori/codec';
import { describe, expect, it } from 'vitest';
import { ArchiveError } from '../errors.js';
import { bytesOf, expectSameBytes, patternBytes, rejection, withHarness, type ObjectStoreFactory, type ObjectStoreSupports } from './harness.js';

export function putGetSuite(factory: ObjectStoreFactory): void {
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

export function conditionalSuite(factory: ObjectStoreFactory): void {
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

export function checksumSuite(factory: ObjectStoreFactory, supports: ObjectStoreSupports): void {
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

export function rangeSuite(factory: ObjectStoreFactory): void {
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
