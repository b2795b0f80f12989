import { join } from 'node:path';
import { Wal } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupScratch, runBin, scratchDir, snapshot } from './helpers.js';

afterAll(cleanupScratch);

describe('a live log written by @nori/wal', () => {
  it('inspect/verify/dump work beside the running writer, show it as lock holder, and change nothing', async () => {
    const dir = join(await scratchDir(), 'live');
    const { wal } = await Wal.open({ dir, maxSegmentSize: 16 * 1024, preallocate: true, fsync: 'always' });
    try {
      for (let i = 0; i < 300; i++) await wal.append({ key: `key:${i}`, value: 'v'.repeat(i % 300), ...(i % 7 === 0 ? { ttlMs: 1000 } : {}) });
      await wal.appendBatch([{ key: 'batch:a', value: 'A' }, { key: 'batch:b', tombstone: true }]);
      await wal.sync();
      const segments = await wal.segments();
      expect(segments.length).toBeGreaterThan(1);
      const before = await snapshot(dir);

      const inspect = await runBin(['inspect', '--json', dir]);
      expect(inspect.code).toBe(0);
      const report = JSON.parse(inspect.stdout) as {
        totals: { records: number; segments: number };
        lock: { pid: number; stale: boolean } | null;
        tail: { kind: string; position: { segmentId: number; offset: number } };
      };
      expect(report.totals).toMatchObject({ records: 302, segments: segments.length });
      expect(report.lock).toMatchObject({ pid: process.pid, stale: false });
      // The active segment is preallocated: its zeros start where the next append goes.
      expect(report.tail.kind).toBe('zero-filled');
      expect(report.tail.position).toEqual(wal.writtenPosition);

      const verify = await runBin(['verify', dir]);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toContain('302 records');

      const dump = await runBin(['dump', '--json', '--from', `${segments[1]?.id}:0`, dir]);
      expect(dump.code).toBe(0);
      const lines = dump.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { keyText: string; tombstone: boolean });
      expect(lines.at(-1)).toMatchObject({ keyText: 'batch:b', tombstone: true });
      expect(lines.at(-2)).toMatchObject({ keyText: 'batch:a', tombstone: false });

      const repair = await runBin(['repair', dir]);
      expect(repair.code).toBe(1);
      expect(repair.stderr).toMatch(/^nori-wal: .*locked by a writer \(held by pid \d+ .*\(process running\)\); stop it first/);

      expect(await snapshot(dir)).toEqual(before);
      // The writer is unaffected.
      await wal.append({ key: 'after', value: 'inspection' });
    } finally {
      await wal.close();
    }
    const after = await runBin(['dump', '--from', '0', '--json', dir]);
    expect(after.stdout.trimEnd().split('\n').at(-1)).toContain('"keyText":"after"');
  });
});
