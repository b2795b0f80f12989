import { describe, expect, it } from 'vitest';
import { archiveSegment, demo } from '../examples/quickstart.js';
import { MemoryObjectStore } from '../src/index.js';

describe('README example', () => {
  it('uploads once through a lost response and reads back verified', async () => {
    expect(await demo()).toEqual(['wal/000001.wal: already-archived', 'wal/000001.wal: 20 bytes, CRC32C ok']);
  });

  it('refuses to adopt a different object under the same key', async () => {
    const store = new MemoryObjectStore();
    await store.put('wal/000001.wal', new TextEncoder().encode('another writer'));
    await expect(archiveSegment(store, 'wal/000001.wal', new TextEncoder().encode('ours'))).rejects.toMatchObject({ code: 'ERR_PRECONDITION_FAILED' });
  });
});
