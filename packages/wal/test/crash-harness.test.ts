import { MemoryStorage } from '@nori/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCrashCase } from './crash-support/campaign.js';
import { runFaultCase } from './crash-support/faults.js';
import { runCrashSweep } from './crash-support/sweep.js';
import { LogModel, checkRecovery, withoutWithdrawn, type ExpectedLog, type RecoveredEntry } from './crash-support/model.js';
import { ProcessStorage, type StorageOp } from './crash-support/process-storage.js';
import { Rng } from '@nori/test-support';
import { SMALL_RECORDS, identify, keyBytes, recordFor } from './crash-support/records.js';

// The crash campaigns are only as good as their checkers: each check here is shown to fire on a
// planted violation, and the whole pipeline is shown to catch a storage that lies about fsync.

/** Expected log r1..r8; r4..r6 are one batch; r1..r6 acknowledged durable (index 5). */
function expected(overrides: Partial<ExpectedLog> = {}): ExpectedLog {
  const batch = { first: 4, last: 6 };
  return {
    records: [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({
      id,
      position: { segmentId: id <= 4 ? 0 : 1, offset: id * 10 },
      ...(id >= 4 && id <= 6 ? { batch } : {}),
    })),
    lastDurable: 5,
    gcFloor: 0,
    ...overrides,
  };
}

function entries(ids: (number | string)[]): RecoveredEntry[] {
  return ids.map((id, k) => ({
    id: typeof id === 'number' ? id : { error: id },
    position: typeof id === 'number' ? { segmentId: id <= 4 ? 0 : 1, offset: id * 10 } : { segmentId: 9, offset: k },
  }));
}

describe('checkRecovery', () => {
  it('accepts the full log, a lost unacknowledged tail and a GC-removed head', () => {
    expect(checkRecovery(expected(), entries([1, 2, 3, 4, 5, 6, 7, 8])).violations).toEqual([]);
    expect(checkRecovery(expected(), entries([1, 2, 3, 4, 5, 6])).violations).toEqual([]);
    expect(checkRecovery(expected({ gcFloor: 4 }), entries([4, 5, 6, 7]))).toMatchObject({ violations: [], first: 3, count: 4 });
    expect(checkRecovery(expected({ lastDurable: -1 }), entries([])).violations).toEqual([]);
  });

  it('reports a hole followed by later records (once, without follow-up noise)', () => {
    const violations = checkRecovery(expected(), entries([1, 2, 4, 5, 6])).violations;
    expect(violations.join()).toMatch(/hole: record 3 is missing but later record 4/);
    expect(violations).toHaveLength(1);
  });

  it('reports a duplicate', () => {
    expect(checkRecovery(expected(), entries([1, 2, 2, 3, 4, 5, 6])).violations.join()).toMatch(/record 2 appears twice/);
  });

  it('reports a record that was never appended and a foreign entry', () => {
    expect(checkRecovery(expected(), entries([1, 2, 3, 4, 5, 6, 99])).violations.join()).toMatch(/record 99 .* never appended/);
    expect(checkRecovery(expected(), entries([1, 2, 3, 4, 5, 6, 'foreign key "zz"'])).violations.join()).toMatch(/foreign key/);
  });

  it('reports records out of order', () => {
    const recovered = entries([1, 3, 2, 4, 5, 6]);
    expect(checkRecovery(expected(), recovered).violations.join()).toMatch(/hole|out of order/);
  });

  it('reports a lost acknowledged record', () => {
    expect(checkRecovery(expected(), entries([1, 2, 3])).violations.join()).toMatch(/acknowledged record 6 lost/);
    expect(checkRecovery(expected(), entries([])).violations.join()).toMatch(/acknowledged record 6 lost/);
  });

  it('reports a partial batch at the end of the log', () => {
    const log = expected({ lastDurable: 2 });
    expect(checkRecovery(log, entries([1, 2, 3, 4, 5])).violations.join()).toMatch(/partial batch 4..6/);
    expect(checkRecovery(log, entries([1, 2, 3])).violations).toEqual([]);
  });

  it('reports records removed beyond what GC allowed', () => {
    expect(checkRecovery(expected({ gcFloor: 1 }), entries([3, 4, 5, 6])).violations.join()).toMatch(/GC only allowed removing 1/);
  });

  it('reports a record that moved and positions that do not increase', () => {
    const moved = entries([1, 2, 3, 4, 5, 6]);
    (moved[2] as RecoveredEntry).position = { segmentId: 0, offset: 31 };
    expect(checkRecovery(expected(), moved).violations.join()).toMatch(/record 3 was acknowledged at 0:30 but recovered at 0:31/);
    const backwards = entries([1, 2, 3, 4, 5, 6]);
    (backwards[1] as RecoveredEntry).position = { segmentId: 0, offset: 5 };
    const unacked = expected().records.map(({ id, batch }) => (batch === undefined ? { id } : { id, batch }));
    expect(checkRecovery(expected({ records: unacked }), backwards).violations.join()).toMatch(/does not come after/);
  });
});

describe('LogModel', () => {
  it('turns sync(), durablePosition and durable appends into acknowledgements', () => {
    const model = new LogModel();
    model.submit([1]);
    model.submit([2, 3]);
    model.submit([4]);
    model.positions([1], [{ segmentId: 0, offset: 0 }]);
    model.positions(
      [2, 3],
      [
        { segmentId: 0, offset: 10 },
        { segmentId: 0, offset: 20 },
      ],
    );
    expect(model.lastDurable).toBe(-1);
    model.durablePosition({ segmentId: 0, offset: 20 });
    expect(model.lastDurable).toBe(1);
    model.durableCount(3);
    expect(model.lastDurable).toBe(2);
    model.durable([4]);
    expect(model.lastDurable).toBe(3);
    model.gc(3);
    expect(model.gcFloor).toBe(2);
  });

  it('reports acknowledged positions that do not follow append order', () => {
    const model = new LogModel();
    model.submit([1]);
    model.submit([2]);
    model.positions([1], [{ segmentId: 1, offset: 0 }]);
    model.positions([2], [{ segmentId: 0, offset: 50 }]);
    expect(model.positionViolations().join()).toMatch(/record 2 acknowledged at 0:50, not after record 1/);
  });

  it('withdraws aborted records, also from snapshots taken before the abort was known', () => {
    const model = new LogModel();
    for (const id of [1, 2, 3, 4, 5]) model.submit([id]);
    model.durable([4]);
    model.gc(3);
    const snapshot: ExpectedLog = { records: model.records.map((r) => ({ ...r })), lastDurable: model.lastDurable, gcFloor: model.gcFloor };
    model.withdraw([2]);
    expect(model.records.map((r) => r.id)).toEqual([1, 3, 4, 5]);
    expect([model.lastDurable, model.gcFloor]).toEqual([2, 1]);
    // The record never reached the disk: a log without it is fine, a log with it is not.
    expect(checkRecovery(snapshot, entries([1, 3, 4])).violations.join()).toMatch(/hole: record 2/);
    const fixed = withoutWithdrawn(snapshot, model.withdrawn);
    expect(checkRecovery(fixed, entries([1, 3, 4])).violations).toEqual([]);
    expect(checkRecovery(fixed, entries([1, 2, 3, 4])).violations.join()).toMatch(/record 2 .* never appended/);
  });

  it('adopts a recovered log as the new durable baseline', () => {
    const model = new LogModel();
    for (const id of [1, 2, 3, 4]) model.submit([id]);
    model.gc(3);
    const recovered = entries([2, 3]);
    const match = checkRecovery(model, recovered);
    expect(match.violations).toEqual([]);
    model.adopt(match, recovered);
    expect(model.records.map((r) => r.id)).toEqual([2, 3]);
    expect(model.lastDurable).toBe(1);
    expect(model.gcFloor).toBe(1);
  });
});

describe('records', () => {
  it('identifies every generated record and rejects altered ones', () => {
    const rng = new Rng(7);
    for (let n = 0; n < 200; n++) {
      const id = rng.int(1_000_000);
      const input = recordFor(id, { maxValue: 300, bigEvery: 0, bigValue: 0 });
      const entry = {
        key: keyBytes(id),
        value: input.value as Uint8Array,
        tombstone: input.tombstone === true,
        ttlMs: input.ttlMs === undefined ? undefined : BigInt(input.ttlMs),
        compression: input.compression ?? ('none' as const),
      };
      expect(identify(entry, { maxValue: 300, bigEvery: 0, bigValue: 0 })).toEqual({ id });
      if (entry.value.length > 0) {
        const flipped = entry.value.slice();
        flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
        expect(identify({ ...entry, value: flipped }, { maxValue: 300, bigEvery: 0, bigValue: 0 })).toHaveProperty('error');
      }
      expect(identify({ ...entry, tombstone: !entry.tombstone }, { maxValue: 300, bigEvery: 0, bigValue: 0 })).toHaveProperty('error');
      const other = entry.compression === 'lz4' ? 'none' : 'lz4';
      expect(identify({ ...entry, compression: other }, { maxValue: 300, bigEvery: 0, bigValue: 0 })).toHaveProperty('error');
    }
    const entry = { key: new TextEncoder().encode('other'), value: new Uint8Array(), tombstone: false, ttlMs: undefined, compression: 'none' as const };
    expect(identify(entry, SMALL_RECORDS)).toEqual({ error: 'foreign key "other"' });
  });
});

describe('ProcessStorage', () => {
  it('reports operations to its hook and fences a crashed process', async () => {
    const memory = new MemoryStorage({ seed: 1 });
    const ops: StorageOp[] = [];
    const proc = new ProcessStorage(memory, { hook: (op) => ops.push(op) });
    const file = await proc.open('a', { create: true });
    file.writevSync([new Uint8Array([1, 2, 3])], 0);
    await file.datasync();
    await proc.syncDir();
    expect(ops).toEqual(['open', 'write', 'sync', 'syncDir']);
    memory.crash();
    expect(proc.dead).toBe(true);
    // The memory backend alone would let a zombie remove files of the next process.
    await expect(proc.remove('a')).rejects.toMatchObject({ code: 'ERR_CRASHED' });
    await expect(proc.syncDir()).rejects.toMatchObject({ code: 'ERR_CRASHED' });
    await expect(proc.open('b', { create: true })).rejects.toMatchObject({ code: 'ERR_CRASHED' });
    expect(await memory.exists('a')).toBe(true);
  });
});

describe('the campaigns catch a WAL that acknowledges what is not durable', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('crash campaign: a disk whose fsync does nothing loses acknowledged records', async () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 40 && failures.length === 0; seed++) {
      const result = await runCrashCase(seed, { maxSteps: 70, lie: 'drop-syncs' });
      failures.push(...result.violations);
    }
    expect(failures.join('\n')).toMatch(/acknowledged record \d+ lost|hole|are gone/);
  });

  it('crash sweep: a disk whose fsync does nothing loses acknowledged records', async () => {
    const result = await runCrashSweep({ seed: 1, policy: { kind: 'always' }, preallocate: true, lie: 'drop-syncs' });
    expect(result.failures.join('\n')).toMatch(/acknowledged record \d+ lost|hole|are gone/);
  });

  it('fault sweep: a disk that hides fsync errors (fsyncgate) loses acknowledged records', async () => {
    const failures: string[] = [];
    for (let at = 0; at < 30 && failures.length === 0; at++) {
      const result = await runFaultCase({
        seed: 5,
        policy: { kind: 'always' },
        preallocate: true,
        kind: 'fsyncgate',
        at,
        ending: 'crash',
        lie: 'swallow-sync-errors',
      });
      failures.push(...result.violations);
    }
    expect(failures.join('\n')).toMatch(/acknowledged record \d+ lost|hole|are gone/);
  });

  it('a seed replays exactly (fake timers drive the batch windows)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'hrtime'] });
    const options = { maxSteps: 70, sleep: (ms: number) => vi.advanceTimersByTimeAsync(ms).then(() => undefined) };
    for (let seed = 1; seed <= 12; seed++) {
      const first = await runCrashCase(seed, options);
      const second = await runCrashCase(seed, options);
      expect(second).toEqual(first);
      expect(first.violations).toEqual([]);
    }
  });
});
