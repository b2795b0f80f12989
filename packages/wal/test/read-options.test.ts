import { MemoryStorage } from '@nori/storage';
import { describe, expect, it } from 'vitest';
import { Wal, WalError, type ReadOptions } from '../src/index.js';
import { collect, record } from '@nori/test-support';

const BAD_READ_OPTIONS: [string, unknown][] = [
  ['an unknown option (typo of follow)', { follw: true }],
  ['an unknown option (open-style key)', { recovery: 'strict' }],
  ['a string follow', { follow: 'yes' }],
  ['a number copy', { copy: 1 }],
  ['a string reuseBuffers', { reuseBuffers: 'yes' }],
  ['a string signal', { signal: 'stop' }],
  ['options that are not an object', 'from-start'],
  ['null options', null],
];

describe('read options are validated like open and append options', () => {
  it.each(BAD_READ_OPTIONS)('read rejects %s with ERR_INVALID_ARGUMENT', async (_what, options) => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os' });
    await wal.append(record(0));
    const error = await collect(wal.read(options as ReadOptions)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await wal.close();
  });

  it('accepts every documented option', async () => {
    const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'os' });
    const first = (await wal.append(record(0))).position;
    await wal.append(record(1));
    const common = { toIndex: 2, limit: 5, follow: false, pollIntervalMs: 10, signal: new AbortController().signal, copy: true, reuseBuffers: false };
    // from and fromIndex exclude each other: every other option goes with either.
    const byPosition: Required<Omit<ReadOptions, 'fromIndex'>> = { from: first, ...common };
    const byIndex: Required<Omit<ReadOptions, 'from'>> = { fromIndex: 1, ...common };
    expect(await collect(wal.read(byPosition))).toHaveLength(2);
    expect(await collect(wal.read(byIndex))).toHaveLength(2);
    await wal.close();
  });
});
