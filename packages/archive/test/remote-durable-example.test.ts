import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { remoteDurableFailover } from '../examples/remote-durable.js';
import { MemoryObjectStore } from '../src/index.js';

describe('README remote-durable example', () => {
  it('acknowledges 64 writes remotely, promotes a new primary holding all of them, fences the old one', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'nori-remote-durable-example-'));
    try {
      const lines = await remoteDurableFailover(new MemoryObjectStore(), path.join(root, 'a'), path.join(root, 'b'));
      expect(lines).toEqual(['generation 2 promoted from 1: 64 records', 'old primary: ERR_FENCED']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
