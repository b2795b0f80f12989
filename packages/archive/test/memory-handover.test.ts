import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../src/index.js';
import { handOver } from '../src/memory/store.js';
import { expectCode } from './archiver-support.js';

describe('MemoryObjectStore: handed-over buffers', () => {
  it('keeps a handed-over buffer itself (no copy), and copies any other', async () => {
    const store = new MemoryObjectStore();
    const mine = new Uint8Array([1, 2, 3]);
    const given = handOver(new Uint8Array([4, 5, 6]));
    await store.put('copied', mine);
    await store.put('kept', given);
    mine[0] = 9;
    given[0] = 9; // the archiver never does this: it shows which bytes the store holds
    expect((await store.get('copied')).bytes).toEqual(new Uint8Array([1, 2, 3]));
    await expectCode(store.get('kept'), 'ERR_CHECKSUM_MISMATCH');
  });
});
