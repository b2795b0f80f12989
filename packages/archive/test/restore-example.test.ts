import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeArchive, keepNewest, restoreAndOpen } from '../examples/restore.js';
import { MemoryObjectStore } from '../src/index.js';
import { archiveLog } from './support/archive-log.js';
import { cleanupScratch, scratchDir, writeLog } from './support/local-log.js';

afterAll(cleanupScratch);

describe('README restore example', () => {
  it('lists, restores, opens and applies retention', async () => {
    const store = new MemoryObjectStore();
    const one = await archiveLog({ store, prefix: 'app', dir: await writeLog(30, { seed: 1 }), createdAt: (i) => Date.UTC(2026, 11, 6, 18, 0, i) });
    await archiveLog({
      store,
      prefix: 'app',
      dir: await writeLog(40, { seed: 2 }),
      generation: 2,
      startSeq: one.length,
      parentGeneration: 1,
      reason: 'takeover',
      createdAt: (i) => Date.UTC(2026, 11, 6, 19, 0, i),
    });
    const lines = await describeArchive(store, 'app');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^generation 2 \(takeover\): seqs \d+\.\.\d+, 0:0\.\.\d+:\d+, shipped 2026-12-06T19:00/);
    expect(await restoreAndOpen(store, 'app', join(await scratchDir(), 'wal'))).toMatch(/^generation 2: 40 records, end \d+:\d+, opened 40 records$/);
    expect(await keepNewest(store, 'app')).toBe(`deleted ${one.length} chunks (${one.reduce((sum, c) => sum + c.length, 0)} bytes) below seq ${one.length}`);
    expect(await keepNewest(store, 'app')).toBe('nothing to delete');
  });
});
