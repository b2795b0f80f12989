import { afterEach, expect, it, vi } from 'vitest';
import { quickstart } from '../examples/quickstart.js';
import { tempDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

it('the README quickstart example runs and recovers every record', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const { dir, cleanup } = await tempDir();
  try {
    expect(await quickstart(dir)).toEqual(['user:1', 'user:2', 'user:3', 'user:1 (deleted)', 'user:4']);
  } finally {
    await cleanup();
  }
});
