import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { MIN_RECORD_SIZE } from '@nori/codec';
import { Wal } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpWal, inspectWal, runCli, verifyWal, type OutputStream } from '../src/index.js';
import { cleanupScratch, scratchDir } from './helpers.js';

afterAll(cleanupScratch);

const BIG = 60 * 1024;

/** A log with a plain and a zstd 60 KiB record among small ones, written with maxRecordSize 64 KiB. */
async function logWithLargeRecords(): Promise<string> {
  const dir = join(await scratchDir('nori-cli-limits-'), 'wal');
  const { wal } = await Wal.open({ dir, fsync: 'os', preallocate: false, maxRecordSize: 64 * 1024 });
  for (let i = 0; i < 6; i++) {
    const value = new Uint8Array(i === 1 || i === 4 ? BIG : 10).fill(i + 1);
    await wal.append({ key: `k${i}`, value, ...(i === 4 ? { compression: 'zstd' as const } : {}) });
  }
  await wal.close();
  return dir;
}

describe('verify, dump and inspect read what @nori/wal reads, whatever --max-record-size says', () => {
  it('records above --max-record-size are not damage', async () => {
    const dir = await logWithLargeRecords();
    const verified = await verifyWal(dir, { maxRecordSize: MIN_RECORD_SIZE });
    expect(verified.status).toBe('clean');
    expect(verified.records).toBe(6);
    expect(verified.corruptions).toEqual([]);

    const sizes: number[] = [];
    const dumped = await dumpWal(dir, { record: (r) => void sizes.push(r.value.byteLength) }, { maxRecordSize: MIN_RECORD_SIZE });
    expect(dumped.exitCode).toBe(0);
    expect(sizes).toEqual([10, BIG, 10, 10, BIG, 10]);

    const inspected = await inspectWal(dir, { maxRecordSize: MIN_RECORD_SIZE });
    expect(inspected.segments.map((s) => s.records)).toEqual([6]);

    const sink = (): OutputStream => new PassThrough().resume() as OutputStream;
    expect(await runCli(['verify', '--no-progress', '--max-record-size', '1024', dir], { stdout: sink(), stderr: sink() })).toBe(0);
    // The unit forms the help names are accepted by every command that takes the option.
    for (const command of ['verify', 'inspect', 'dump']) {
      expect(await runCli([command, '--no-progress', '--max-record-size', '1kb', dir], { stdout: sink(), stderr: sink() })).toBe(0);
    }
    expect(await runCli(['repair', '--dry-run', '--max-record-size', '1KiB', dir], { stdout: sink(), stderr: sink() })).toBe(0);
    expect(await runCli(['verify', '--max-record-size', '1kilobyte', dir], { stdout: sink(), stderr: sink() })).toBe(2);
    expect(await runCli(['verify', '--max-record-size', '0kb', dir], { stdout: sink(), stderr: sink() })).toBe(2);
  });
});
