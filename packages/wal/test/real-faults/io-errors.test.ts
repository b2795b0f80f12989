/**
 * Issue 12: real I/O errors injected under the WAL by an LD_PRELOAD shim (built with gcc at test
 * time) in a child process: libc's fdatasync/fsync/write/pwritev fail with EIO on the segment
 * files once the child arms the fault. Runs on the machine's temporary directory (no mount).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Wal, comparePositions, type Position } from '../../src/index.js';
import { collect, text } from '@nori/test-support';
import { buildShim, describeRealFaults, shimLog, startChild, useChildren, type ChildResult, type ShimFault } from './support.js';

const ARM_AT = 5;
const SEGMENT = 1024 * 1024;
const VALUE = 100;
/** Long enough that no batch fsync happens by itself while the records are appended. */
const LONG_BATCH_WINDOW_MS = 20_000;

let work: string;
let so: string;

const key = (i: number): string => `k${String(i).padStart(6, '0')}`;

async function recoveredKeys(dir: string): Promise<string[]> {
  const { wal } = await Wal.open({ dir, readOnly: true });
  try {
    return (await collect(wal.read())).map((e) => text(e.key));
  } finally {
    await wal.close();
  }
}

function shimFor(name: string, ops: ShimFault['ops'], trace: ShimFault['trace'] = []): { dir: string; shim: ShimFault } {
  const dir = path.join(work, name);
  return {
    dir,
    shim: { so, ops, trace, path: `${dir}/0`, arm: path.join(work, `${name}.arm`), log: path.join(work, `${name}.log`) },
  };
}

function ackedKeys(result: ChildResult): string[] {
  return result.acked.map((a) => key(a.i));
}

describeRealFaults('real EIO from the kernel interface (LD_PRELOAD shim)', { gcc: true }, () => {
  useChildren();

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-eio-'));
    so = buildShim(work);
  });

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('fdatasync EIO under always: the WAL fails, never acknowledges that record, never retries the fsync', async () => {
    const { dir, shim } = shimFor('fdatasync', ['fdatasync', 'fsync']);
    const child = startChild(shim);
    const result = await child.run({ dir, policy: 'always', maxSegmentSize: SEGMENT, valueSize: VALUE, maxRecords: 20, armAt: ARM_AT, arm: shim.arm });
    await child.stop();
    expect(result.stderr).toBe('');
    expect(result.acked.map((a) => a.i)).toEqual([0, 1, 2, 3, 4]);
    expect(result.error).toMatchObject({ i: ARM_AT, code: 'ERR_FAILED', causeCode: 'EIO', causeSyscall: 'fdatasync' });
    expect(result.after?.code).toBe('ERR_FAILED');
    expect(result.state?.state).toBe('failed');
    // The durable position never moved past the failed record's start.
    const lastAck = result.acked.at(-1)?.position as Position;
    expect(comparePositions(result.state?.durable as Position, lastAck)).toBeGreaterThan(0);
    // Exactly one failed sync of the segment, and no sync of it at all after that (fsyncgate:
    // a retry would "succeed" without the lost pages).
    const syncs = shimLog(shim.log).filter((c) => c.op === 'fdatasync' || c.op === 'fsync');
    const firstFailure = syncs.findIndex((c) => c.failed);
    expect(firstFailure).toBeGreaterThanOrEqual(0);
    expect(syncs.slice(firstFailure)).toHaveLength(1);
    // Every acknowledged record is there after reopen.
    const keys = await recoveredKeys(dir);
    expect(keys.slice(0, ARM_AT)).toEqual(ackedKeys(result));
  });

  it('write EIO under batch: records acknowledged before the failed write are fsynced (durablePosition covers them)', async () => {
    const { dir, shim } = shimFor('write', ['write'], ['fdatasync', 'fsync']);
    const child = startChild(shim);
    const result = await child.run({
      dir,
      policy: 'batch',
      windowMs: LONG_BATCH_WINDOW_MS,
      maxSegmentSize: SEGMENT,
      valueSize: VALUE,
      maxRecords: 20,
      armAt: ARM_AT,
      arm: shim.arm,
    });
    await child.stop();
    expect(result.stderr).toBe('');
    expect(result.acked.map((a) => a.i)).toEqual([0, 1, 2, 3, 4]);
    expect(result.error).toMatchObject({ i: ARM_AT, code: 'ERR_FAILED', causeCode: 'EIO' });
    expect(result.close).toBeDefined();
    // Once the one fsync after the failed write is done (close() waits for it), durablePosition
    // covers every record acknowledged before the failed write...
    const lastAck = result.acked.at(-1)?.position as Position;
    expect(comparePositions(result.close?.durable as Position, lastAck)).toBeGreaterThan(0);
    // ...because the segment really was fsynced after the failed write.
    const calls = shimLog(shim.log);
    const failedWrite = calls.findIndex((c) => c.op === 'write' && c.failed);
    expect(failedWrite).toBeGreaterThanOrEqual(0);
    expect(calls.slice(failedWrite).some((c) => (c.op === 'fdatasync' || c.op === 'fsync') && !c.failed)).toBe(true);
    const keys = await recoveredKeys(dir);
    expect(keys.slice(0, ARM_AT)).toEqual(ackedKeys(result));
  });
});
