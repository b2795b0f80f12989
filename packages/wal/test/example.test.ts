import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { durableQueue } from '../examples/durable-queue.js';
import { eventSourcing } from '../examples/event-sourcing.js';
import { quickstart } from '../examples/quickstart.js';
import { walkSegmentExample } from '../examples/walk-segment.js';
import { tempDir } from '@nori/test-support';

afterEach(() => {
  vi.restoreAllMocks();
});

async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const { dir, cleanup } = await tempDir();
  try {
    return await run(dir);
  } finally {
    await cleanup();
  }
}

it('the README quickstart example runs and recovers every record', async () => {
  expect(await inTempDir(quickstart)).toEqual(['user:1', 'user:2', 'user:3', 'user:1 (deleted)', 'user:4']);
});

it('the event-sourcing example rebuilds every account from its events after a restart', async () => {
  const accounts = await inTempDir(eventSourcing);
  expect(Object.fromEntries(accounts)).toEqual({
    'acct:ada': { owner: 'Ada', balance: 70, version: 3 },
    'acct:grace': { owner: 'Grace', balance: 30, version: 2 },
  });
});

it('the durable-queue example resumes after the last committed job and collects consumed segments', async () => {
  const result = await inTempDir(async (root) => {
    const run = await durableQueue(root);
    const segments = (await readdir(path.join(root, 'wal'))).filter((name) => name.endsWith('.wal')).sort();
    return { ...run, firstSegment: segments[0] };
  });
  expect(result.first).toEqual(['job-0', 'job-1', 'job-2', 'job-3']);
  expect(result.afterRestart).toEqual(['job-4', 'job-5', 'job-6', 'job-7', 'job-8', 'job-9']);
  // 10 jobs of ~520 bytes in 4 KiB segments: the consumed ones before the last segment are gone.
  expect(result.firstSegment).not.toBe('000000.wal');
});

it('the walk-segment example reports the damaged record with its resync point and walks on', async () => {
  const result = await inTempDir(walkSegmentExample);
  expect(result.keys).toEqual(['a', 'c', 'd']);
  expect(result.damage).toHaveLength(1);
  expect(result.damage[0]).toMatchObject({ reason: 'crc-mismatch' });
  expect(result.damage[0]?.resumeAt).toBe((result.damage[0]?.offset ?? 0) + (result.damage[0]?.length ?? 0));
  expect(['clean', 'zero-tail']).toContain(result.end.kind);
});
