import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendAndRead, crashDemo } from '../examples/quickstart.js';
import { NodeFileStorage } from '../src/index.js';

describe('README example', () => {
  it('appends and reads back on disk, and releases the lock', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-example-'));
    try {
      const storage = new NodeFileStorage(dir);
      expect(await appendAndRead(storage)).toBe('hello world\n');
      expect(await storage.readLock()).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps synced data through a simulated crash', async () => {
    const outcomes = new Set<boolean>();
    for (let seed = 1; seed <= 12; seed++) {
      const { synced, unsyncedSurvived } = await crashDemo(seed);
      expect(synced).toBe('hello world\n');
      outcomes.add(unsyncedSurvived);
    }
    expect(outcomes).toEqual(new Set([true, false]));
  });
});
