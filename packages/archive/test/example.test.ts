import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveWhileWriting } from '../examples/archiver.js';
import { archiveSegment, demo } from '../examples/quickstart.js';
import { followPrimary } from '../examples/replica.js';
import { MemoryObjectStore } from '../src/index.js';
import { assembleGeneration, readChunks } from './archiver-support.js';

describe('README example', () => {
  it('uploads once through a lost response and reads back verified', async () => {
    expect(await demo()).toEqual(['wal/000001.wal: already-archived', 'wal/000001.wal: 20 bytes, CRC32C ok']);
  });

  it('refuses to adopt a different object under the same key', async () => {
    const store = new MemoryObjectStore();
    await store.put('wal/000001.wal', new TextEncoder().encode('another writer'));
    await expect(archiveSegment(store, 'wal/000001.wal', new TextEncoder().encode('ours'))).rejects.toMatchObject({ code: 'ERR_PRECONDITION_FAILED' });
  });

  it('the archiver example ships a WAL directory and resumes its generation after a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nori-archiver-example-'));
    try {
      const store = new MemoryObjectStore();
      const lines = await archiveWhileWriting(dir, store);
      expect(lines[0]).toMatch(/^generation 1: archived up to \d+:\d+$/);
      expect(lines[1]).toBe('generation 1 after restart, lag 0 bytes');
      const segments = assembleGeneration(await readChunks(store, 'orders'), 1);
      expect(segments.size).toBeGreaterThan(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the replica example follows a writing primary and resumes from its saved position', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nori-replica-example-'));
    try {
      const store = new MemoryObjectStore();
      const lines = await followPrimary(dir, store, store);
      expect(lines[0]).toMatch(/^replica applied 300 orders, stopped at \d+:\d+ \(generation 1\)$/);
      expect(lines[1]).toBe('replica resumed and applied 500 orders; order:499 = {"total":1497}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
