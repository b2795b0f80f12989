import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord } from '@nori/codec';
import { parseSegmentName, segmentName, Wal } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpWal, formatInspectReport, inspectWal, readWalDirectory, verifyWal, type DumpedRecord } from '../src/index.js';
import { cleanupScratch, scratchDir } from './helpers.js';

afterAll(cleanupScratch);

/** A log of segments 0 and 1 (two records each) plus `extra` files, each holding one record keyed by its name. */
async function logWith(extra: readonly string[]): Promise<string> {
  const dir = join(await scratchDir('nori-cli-names-'), 'wal');
  await mkdir(dir);
  const segment = (id: number): Uint8Array => Buffer.concat([0, 1].map((i) => encodeRecord({ key: `s${id}:${i}`, value: 'v' })));
  await writeFile(join(dir, segmentName(0)), segment(0));
  await writeFile(join(dir, segmentName(1)), segment(1));
  for (const name of extra) await writeFile(join(dir, name), encodeRecord({ key: `stray ${name}`, value: 'x' }));
  return dir;
}

async function dumpedKeys(dir: string): Promise<string[]> {
  const keys: string[] = [];
  await dumpWal(dir, { record: (record: DumpedRecord) => void keys.push(Buffer.from(record.key).toString()) });
  return keys;
}

describe("the CLI reads segments by @nori/wal's naming rule", () => {
  it('lists as segments exactly the names parseSegmentName accepts; the others are never read', async () => {
    const names = ['0000001.wal', '7.wal', '00002.wal', '000002.wal.next', '000003.wal.tmp', '1000000.wal'];
    const dir = await logWith(names);
    const directory = await readWalDirectory(dir);
    const expected = [segmentName(0), segmentName(1), ...names].filter((name) => parseSegmentName(name) !== undefined);
    expect(directory.segments.map((segment) => segment.name)).toEqual(expected);
    expect(directory.ignored.map((file) => file.name)).toEqual(['0000001.wal', '00002.wal', '7.wal']);
  });

  it('a seven-digit 0000001.wal is ignored: dump shows only what the WAL returns, inspect lists it as ignored', async () => {
    const dir = await logWith(['0000001.wal']);
    const { wal } = await Wal.open({ dir, readOnly: true });
    const walKeys: string[] = [];
    for await (const entry of wal.read()) walKeys.push(Buffer.from(entry.key).toString());
    await wal.close();
    expect(await dumpedKeys(dir)).toEqual(walKeys);
    expect(walKeys).toEqual(['s0:0', 's0:1', 's1:0', 's1:1']);
    const verify = await verifyWal(dir);
    expect({ status: verify.status, segments: verify.segments, records: verify.records }).toEqual({ status: 'clean', segments: 2, records: 4 });
    const inspect = await inspectWal(dir);
    expect(inspect.ignored.map((file) => file.name)).toEqual(['0000001.wal']);
    expect(formatInspectReport(inspect)).toContain('ignored     1 file(s), ');
  });

  it('a stray 1000000.wal (a segment name for the WAL too) is one gap, reported once, as recovery reports it', async () => {
    const dir = await logWith(['1000000.wal']);
    const { wal, recovery } = await Wal.open({ dir, readOnly: true });
    await wal.close();
    expect(recovery.corruptions).toHaveLength(1);
    const verify = await verifyWal(dir, { preview: false });
    expect(verify.corruptions).toEqual([{ segmentId: 2, offset: 0, length: 0, reason: 'missing-segment', missingSegments: 999_998 }]);
    const inspect = formatInspectReport(await inspectWal(dir));
    expect(inspect).toContain('segments 2..999999 are missing (gap in segment ids)');
  });
});
