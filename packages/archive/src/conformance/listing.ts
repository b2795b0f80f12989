import { describe, expect, it } from 'vitest';
import type { ObjectSummary } from '../types.js';
import { bytesOf, collect, patternBytes, rejection, withHarness, type ObjectStoreFactory, type ObjectStoreSupports } from './harness.js';

export function listSuite(factory: ObjectStoreFactory, supports: ObjectStoreSupports): void {
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

export function deleteSuite(factory: ObjectStoreFactory): void {
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
