import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, WalError, type AppendOptions } from '../src/index.js';
import { collect, record } from '@nori/test-support';

// Issue 12, item 9: bad append options and record fields get typed errors, and nothing is written.

async function rejection(promise: Promise<unknown>): Promise<WalError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WalError);
  return error as WalError;
}

const BAD_OPTIONS: [string, unknown][] = [
  ['a string signal', { signal: 'nope' }],
  ['an object signal', { signal: {} }],
  ['a string durable', { durable: 'yes' }],
  ['an unknown option (typo)', { durabel: true }],
  ['options that are not an object', 'durable'],
  ['null options', null],
];

describe('append options are validated', () => {
  for (const [what, options] of BAD_OPTIONS) {
    it(`append and appendBatch reject ${what} with ERR_INVALID_ARGUMENT and write nothing`, async () => {
      const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os' });
      const bad = options as AppendOptions;
      expect((await rejection(wal.append(record(0), bad))).code).toBe('ERR_INVALID_ARGUMENT');
      expect((await rejection(wal.appendBatch([record(1), record(2)], bad))).code).toBe('ERR_INVALID_ARGUMENT');
      expect((await rejection(wal.appendBatch([], bad))).code).toBe('ERR_INVALID_ARGUMENT');
      expect(wal.state).toBe('open');
      expect(await collect(wal.read())).toEqual([]);
      await wal.append(record(3), { durable: true, signal: new AbortController().signal });
      expect(await collect(wal.read())).toHaveLength(1);
      await wal.close();
    });
  }

  it('a non-boolean tombstone is an invalid record, not a live record', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os' });
    const tombstone = { key: 'k', tombstone: 'yes' } as unknown as Parameters<Wal['append']>[0];
    expect((await rejection(wal.append(tombstone))).code).toBe('ERR_INVALID_RECORD');
    expect((await rejection(wal.appendBatch([record(0), tombstone]))).code).toBe('ERR_INVALID_RECORD');
    expect(await collect(wal.read())).toEqual([]);
    await wal.close();
  });
});
