import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RaftLogStore, raftLog, type RaftEntry } from '../examples/raft-log.js';
import { tempDir } from '@nori/test-support';

// The Raft log store example against the Raft paper's log rules (section 5.3, figure 2):
// the consistency check of AppendEntries, conflicting-suffix deletion, the Log Matching Property
// (same index and term => identical logs up to that index), and snapshot compaction.

async function withStore<T>(run: (store: RaftLogStore, dir: string) => Promise<T>): Promise<T> {
  const { dir, cleanup } = await tempDir('nori-raft-');
  try {
    const store = await RaftLogStore.open(dir);
    try {
      return await run(store, dir);
    } finally {
      await store.close();
    }
  } finally {
    await cleanup();
  }
}

const entriesOf = (terms: number[], tag: string): RaftEntry[] => terms.map((term, i) => ({ term, command: `${tag}${i + 1}` }));

/** Terms of a leader's log: non-decreasing. */
const leaderTerms = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 25 }).map((steps) => {
  let term = 1;
  return steps.map((step) => (term += step === 2 ? 1 : 0));
});

/** Replicates `leader` to `store` as a Raft leader does: back off nextIndex until the check passes. */
async function replicate(store: RaftLogStore, leader: RaftEntry[]): Promise<number> {
  let nextIndex = Math.min(store.lastIndex(), leader.length) + 1;
  let rejections = 0;
  for (;;) {
    const prevIndex = nextIndex - 1;
    const prevTerm = prevIndex === 0 ? 0 : (leader[prevIndex - 1] as RaftEntry).term;
    if (await store.appendEntries(prevIndex, prevTerm, leader.slice(prevIndex))) return rejections;
    rejections++;
    nextIndex--;
  }
}

describe('the Raft log store example', () => {
  it('runs: a conflicting suffix is replaced by the leader entries, compaction survives a restart', async () => {
    const { dir, cleanup } = await tempDir('nori-raft-');
    try {
      const { follower, firstIndex } = await raftLog(dir);
      expect(firstIndex).toBe(6);
      expect(follower.map((e) => e.term)).toEqual([5, 5, 6, 6, 6]);
    } finally {
      await cleanup();
    }
  });

  it('rejects AppendEntries whose previous entry is missing or has another term, and changes nothing', async () => {
    await withStore(async (store) => {
      expect(await store.appendEntries(0, 0, entriesOf([1, 1, 2], 'a'))).toBe(true);
      expect(await store.appendEntries(5, 2, entriesOf([2], 'b'))).toBe(false);
      expect(await store.appendEntries(3, 1, entriesOf([3], 'b'))).toBe(false);
      expect((await store.entries(1)).map((e) => e.command)).toEqual(['a1', 'a2', 'a3']);
    });
  });

  it('a stale or duplicate AppendEntries never truncates entries that match', async () => {
    await withStore(async (store) => {
      await store.appendEntries(0, 0, entriesOf([1, 1, 1, 2], 'a'));
      // A delayed RPC carrying only a prefix of what the follower has: nothing is lost.
      expect(
        await store.appendEntries(
          1,
          1,
          entriesOf([1, 1], 'a')
            .slice(0, 1)
            .map((e) => ({ ...e, command: 'a2' })),
        ),
      ).toBe(true);
      expect(store.lastIndex()).toBe(4);
      expect((await store.entries(1)).map((e) => e.command)).toEqual(['a1', 'a2', 'a3', 'a4']);
    });
  });

  it('replication makes every follower agree with the leader through its last entry: the Log Matching Property (also after a restart)', async () => {
    await fc.assert(
      fc.asyncProperty(leaderTerms, fc.nat(25), fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 8 }), async (terms, shared, stale) => {
        const leader = entriesOf(terms, 'L');
        const { dir, cleanup } = await tempDir('nori-raft-');
        try {
          {
            await using store = await RaftLogStore.open(dir);
            // The follower shares a prefix with the leader, then holds entries of other terms.
            const prefix = leader.slice(0, Math.min(shared, leader.length));
            const base = prefix.length === 0 ? 0 : (prefix[prefix.length - 1] as RaftEntry).term;
            const divergent = stale.map((t, i) => ({ term: base + 10 + t, command: `S${i}` }));
            await store.appendEntries(0, 0, [...prefix, ...divergent]);
            await replicate(store, leader);
          }
          await using store = await RaftLogStore.open(dir);
          // Entries past the leader's last index that conflict with nothing may stay (Raft only
          // deletes on a conflict); everything through the leader's last entry is the leader's.
          const follower = await store.entries(1, leader.length);
          expect(follower).toEqual(leader);
          // Log Matching: an entry with the same index and term => identical logs up to it.
          for (let i = 0; i < leader.length; i++) expect(await store.term(i + 1)).toBe((leader[i] as RaftEntry).term);
        } finally {
          await cleanup();
        }
      }),
      { numRuns: 25, seed: 18 },
    );
  });

  it('compaction drops entries before the snapshot; the snapshot term answers the consistency check', async () => {
    await withStore(async (store, dir) => {
      await store.appendEntries(0, 0, entriesOf([1, 1, 2, 2, 3, 3], 'a'));
      await store.compact(4);
      expect(store.firstIndex()).toBe(5);
      expect(await store.term(4)).toBe(2);
      expect(await store.term(3)).toBeUndefined();
      await expect(store.entries(3)).rejects.toMatchObject({ code: 'ERR_INDEX_TRUNCATED' });
      expect(
        await store.appendEntries(
          4,
          2,
          entriesOf([3, 4], 'b').map((e, i) => (i === 0 ? { term: 3, command: 'a5' } : e)),
        ),
      ).toBe(true);
      expect((await store.entries(5)).map((e) => [e.term, e.command])).toEqual([
        [3, 'a5'],
        [4, 'b2'],
      ]);
      expect(dir.length).toBeGreaterThan(0);
    });
  });
});
