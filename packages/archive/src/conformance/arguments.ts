import { crc32c } from '@nori/codec';
import { describe, expect, it } from 'vitest';
import type { ArchiveError } from '../errors.js';
import { bytesOf, collect, expectSameBytes, patternBytes, rejection, withHarness, type ObjectStoreFactory } from './harness.js';

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

export function argumentSuite(factory: ObjectStoreFactory): void {
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

export function abortSuite(factory: ObjectStoreFactory): void {
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

export function faultSuite(factory: ObjectStoreFactory): void {
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
