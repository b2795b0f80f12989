import { describe, expect, it } from 'vitest';
import { checkKilledLog, runTruncateKillCampaign } from './crash-support/truncate-kill.js';
import { tempDir } from '@nori/test-support';

// Real processes, real files: a child appends, truncates after and before random indexes (fsync
// 'always') and is SIGKILLed at random moments; the parent reopens the directory and checks the
// log against the child's events. Each round spawns a node process (~1 s): 8 rounds.

describe('the SIGKILL truncation checker', () => {
  const before = {
    records: new Map([
      [1, 10],
      [2, 11],
      [3, 12],
    ]),
    firstIndex: 1,
  };
  it('accepts the old end or the exact cut when killed inside truncateAfter', () => {
    expect(
      checkKilledLog(
        before,
        ['t 1'],
        [
          [1, 10],
          [2, 11],
          [3, 12],
        ],
        1,
      ),
    ).toEqual([]);
    expect(checkKilledLog(before, ['t 1'], [[1, 10]], 1)).toEqual([]);
    expect(
      checkKilledLog(
        before,
        ['t 1', 'T 1', 'a 2 20'],
        [
          [1, 10],
          [2, 20],
        ],
        1,
      ),
    ).toEqual([]);
  });
  it('rejects an end between the cut and the old end, a moved record, a lost record and a wrong start', () => {
    expect(
      checkKilledLog(
        before,
        ['t 1'],
        [
          [1, 10],
          [2, 11],
        ],
        1,
      ).join(),
    ).toMatch(/ends at index 2/);
    expect(
      checkKilledLog(
        before,
        [],
        [
          [1, 10],
          [2, 12],
          [3, 11],
        ],
        1,
      ).join(),
    ).toMatch(/index 2 holds record 12/);
    expect(
      checkKilledLog(
        before,
        ['a 4 13'],
        [
          [1, 10],
          [2, 11],
          [3, 12],
        ],
        1,
      ).join(),
    ).toMatch(/ends at index 3/);
    expect(
      checkKilledLog(
        before,
        ['f 2', 'F 2'],
        [
          [1, 10],
          [2, 11],
          [3, 12],
        ],
        1,
      ).join(),
    ).toMatch(/starts at 1/);
  });
});

describe('SIGKILL during truncateAfter / truncateBefore (NodeFileStorage, fsync always)', () => {
  it('the log ends at the old end or exactly at the cut; indexes never move', { timeout: 120_000 }, async () => {
    const { dir, cleanup } = await tempDir('nori-truncate-kill-');
    try {
      const result = await runTruncateKillCampaign(dir, 8, 20261206);
      expect(result.failures.join('\n')).toBe('');
      // Not vacuous: every round ran until it had logged at least 30 events.
      expect(result.acknowledged).toBeGreaterThan(8 * 10);
      expect(result.cuts).toBeGreaterThan(0);
    } finally {
      await cleanup();
    }
  });
});
