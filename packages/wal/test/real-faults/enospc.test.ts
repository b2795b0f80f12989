/**
 * Issue 12: a disk that fills up for real (2 MiB tmpfs, 16 MiB loop-mounted ext4), for every
 * fsync policy. The WAL fails with ERR_FAILED and a typed ENOSPC cause, keeps every acknowledged
 * `always` record (and everything its durablePosition claimed), leaves no LOCK.tmp-* behind (also
 * when the open itself hits the full disk), and reopens cleanly once space is freed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Wal, WalError, comparePositions, type Position } from '../../src/index.js';
import { collect, text } from '@nori/test-support';
import {
  REAL_FAULTS_ROOT,
  cleanStaleMounts,
  describeRealFaults,
  fill,
  lockTemps,
  mountExt4,
  mountTmpfs,
  mountsBelowRoot,
  startChild,
  useChildren,
  useMounts,
  type ChildResult,
  type FaultChild,
  type Mounted,
} from './support.js';

const POLICIES = ['always', 'batch', 'os'] as const;
const TMPFS_BYTES = 2 * 1024 * 1024;
const EXT4_MEGABYTES = 16;
/** Room left for the log: a few segments' worth, so the disk fills within a few hundred appends. */
const HEADROOM = 384 * 1024;
const SEGMENT = 64 * 1024;
const VALUE = 2000;

interface Recovered {
  keys: string[];
  end: Position;
}

async function reopen(dir: string): Promise<Recovered> {
  const { wal, recovery } = await Wal.open({ dir, fsync: 'always' });
  try {
    const keys = (await collect(wal.read())).map((e) => text(e.key));
    return { keys, end: recovery.lastPosition };
  } finally {
    await wal.close();
  }
}

const key = (i: number): string => `k${String(i).padStart(6, '0')}`;

function expectTypedFailure(result: ChildResult): void {
  expect(result.stderr).toBe('');
  expect(result.error, `the log never failed: ${String(result.acked.length)} acks`).toBeDefined();
  expect(result.error?.code).toBe('ERR_FAILED');
  expect(result.error?.causeCode).toBe('ENOSPC');
  expect(result.after?.code).toBe('ERR_FAILED');
  expect(result.state?.state).toBe('failed');
}

function expectSurvivors(result: ChildResult, policy: (typeof POLICIES)[number], recovered: Recovered): void {
  // Whatever survives is a prefix of what was appended: no holes, nothing foreign.
  expect(recovered.keys).toEqual(recovered.keys.map((_, i) => key(i)));
  const durable = result.state?.durable as Position;
  const claimedDurable = result.acked.filter((a) => comparePositions(a.position, durable) < 0);
  expect(recovered.keys.length).toBeGreaterThanOrEqual(claimedDurable.length);
  if (policy === 'always') expect(recovered.keys.length).toBeGreaterThanOrEqual(result.acked.length);
}

async function fullDiskRound(child: FaultChild, m: Mounted, policy: (typeof POLICIES)[number]): Promise<void> {
  const dir = path.join(m.dir, `wal-${policy}`);
  fs.mkdirSync(dir);
  const filler = fill(m.dir, `filler-${policy}`, HEADROOM);
  const result = await child.run({ dir, policy, windowMs: 2, maxSegmentSize: SEGMENT, valueSize: VALUE, maxRecords: 5000 });
  expectTypedFailure(result);
  expect(lockTemps(dir)).toEqual([]);

  // The open itself on a disk without a free byte: a typed error, and no lock leftovers.
  const last = fill(m.dir, `last-byte-${policy}`, 0);
  const caught = await Wal.open({ dir, fsync: 'always' }).then(
    async ({ wal }) => {
      await wal.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  if (caught !== undefined) {
    expect(caught).toBeInstanceOf(WalError);
    expect(((caught as WalError).cause as { code?: string } | undefined)?.code).toBe('ENOSPC');
  }
  expect(lockTemps(dir)).toEqual([]);

  fs.rmSync(last);
  fs.rmSync(filler);
  const recovered = await reopen(dir);
  expectSurvivors(result, policy, recovered);
  // Appends work again once there is space.
  const { wal } = await Wal.open({ dir, fsync: 'always' });
  await wal.append({ key: 'after-space-freed', value: 'x' });
  await wal.close();
  expect(lockTemps(dir)).toEqual([]);
  fs.rmSync(dir, { recursive: true });
}

describeRealFaults('ENOSPC on a real full disk', { mount: true, ext4: true }, () => {
  useMounts();
  useChildren();
  let child: FaultChild;
  beforeAll(() => {
    child = startChild();
  });

  it('a mount left by a crashed earlier run (its pid is gone) is detected and removed', () => {
    const stale = path.join(REAL_FAULTS_ROOT, '2147483600-1-tmpfs');
    fs.mkdirSync(stale, { recursive: true });
    if (!mountsBelowRoot().includes(stale)) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', stale]);
    expect(mountsBelowRoot()).toContain(stale);
    cleanStaleMounts();
    expect(mountsBelowRoot()).not.toContain(stale);
    expect(fs.existsSync(stale)).toBe(false);
  });

  describe.each([
    ['tmpfs (2 MiB)', () => mountTmpfs(TMPFS_BYTES)],
    ['ext4 on a loop device (16 MiB)', () => mountExt4(EXT4_MEGABYTES)],
  ] as const)('%s', (_, mount) => {
    it.each(POLICIES)('policy %s: ERR_FAILED with an ENOSPC cause, acknowledged records kept, clean reopen', async (policy) => {
      const m = mount();
      try {
        await fullDiskRound(child, m, policy);
      } finally {
        m.unmount();
      }
    });
  });
});
