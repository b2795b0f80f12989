import { readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenCase, type GoldenRecord } from '@nori/test-support';
import { cleanupScratch, copyGolden, runBin, runJson, snapshot } from './helpers.js';

afterAll(cleanupScratch);

const SEGMENTS = 17;

function segmentName(id: number): string {
  return `${String(id).padStart(6, '0')}.wal`;
}

async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x5a;
  await writeFile(file, bytes);
}

/** Record `index` of segment `segmentId` of the golden `rotation_small` log. */
async function goldenRecord(segmentId: number, index: number): Promise<GoldenRecord> {
  const records = (await goldenCase('rotation_small')).records.filter((record) => record.position.segment_id === segmentId);
  const record = index < 0 ? records.at(index) : records[index];
  if (record === undefined) throw new Error(`no record ${index} in segment ${segmentId}`);
  return record;
}

/** Damages `record` (a byte near its end: a CRC mismatch) in a copy of the golden log. */
async function damage(dir: string, record: GoldenRecord): Promise<void> {
  await flipByte(join(dir, segmentName(record.position.segment_id)), record.position.offset + record.encoded_len - 2);
}

function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(lines[0]).toMatch(/^nori-wal: /);
  return lines[0] ?? '';
}

interface JsonRecord {
  segmentId: number;
  offset: number;
}

function dumpedRecords(stdout: string): JsonRecord[] {
  return stdout
    .trimEnd()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonRecord);
}

describe.concurrent('regions salvage recorded in salvaged.json', () => {
  it('after repair --mode salvage, verify exits 0 and lists the region; new damage elsewhere exits 3', async () => {
    const dir = await copyGolden('rotation_small');
    const victim = await goldenRecord(3, 12);
    await damage(dir, victim);
    const start = victim.position.offset;
    const end = start + victim.encoded_len;
    const span = `3:${start} .. 3:${end}`;
    expect((await runBin(['verify', dir])).code).toBe(3);

    const dryRun = await runBin(['repair', '--mode', 'salvage', '--dry-run', dir]);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain('salvaged    1 region(s) would be recorded in salvaged.json (1 new)');
    expect(dryRun.stdout).toContain(
      `quarantine  would be quarantine/000003.wal.skipped-${start} (copy of ${victim.encoded_len} skipped bytes), ` +
        'quarantine/000003.wal.salvaged (full copy of the salvaged segment)\n',
    );

    const repair = await runBin(['repair', '--mode', 'salvage', dir]);
    expect(repair.stderr).toBe('');
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain(`skipped     ${span}\n`);
    expect(repair.stdout).toContain('salvaged    1 region(s) recorded in salvaged.json (1 new); every later open, verify, inspect and dump skip it\n');
    expect(repair.stdout).toContain(
      `quarantine  quarantine/000003.wal.skipped-${start} (copy of ${victim.encoded_len} skipped bytes), ` +
        'quarantine/000003.wal.salvaged (full copy of the salvaged segment)\n',
    );
    expect(repair.stdout).toContain(`after       clean: 500 records verified, 1 salvaged region(s) skipped (${span})\n`);

    const before = await snapshot(dir);
    const verify = await runBin(['verify', dir]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`salvaged    ${span}: ${victim.encoded_len} bytes salvaged (known, skipped; listed in salvaged.json)\n`);
    expect(verify.stdout).not.toContain('CORRUPT');
    expect(verify.stdout).toContain('result      OK: no corruption outside 1 known salvaged region(s) (exit 0)');
    const json = await runJson<{
      status: string;
      records: number;
      corruptions: unknown[];
      salvaged: unknown[];
    }>(['verify', '--json', dir]);
    expect(json).toMatchObject({ status: 'clean', records: 500, corruptions: [] });
    expect(json.salvaged).toEqual([{ from: { segmentId: 3, offset: start }, to: { segmentId: 3, offset: end }, length: victim.encoded_len }]);
    expect(await snapshot(dir)).toEqual(before);

    // A second, new damage elsewhere is still corruption.
    const other = await goldenRecord(5, 3);
    await damage(dir, other);
    const again = await runBin(['verify', dir]);
    expect(again.code).toBe(3);
    expect(again.stdout).toContain(`CORRUPT     5:${other.position.offset}: crc-mismatch, ${other.encoded_len} bytes unreadable\n`);
    expect(again.stdout).toContain(`salvaged    ${span}: `);
    expect(again.stdout).toContain('result      CORRUPT: 1 damaged region(s) before the tail');
    const dump = await runBin(['dump', '--json', dir]);
    expect(dump.code).toBe(3);
    expect(dumpedRecords(dump.stdout)).toHaveLength(499);
  });

  it('inspect reports the region as salvaged, dump skips it with a note and exits 0', async () => {
    const dir = await copyGolden('rotation_small');
    const victim = await goldenRecord(3, 12);
    await damage(dir, victim);
    const start = victim.position.offset;
    const end = start + victim.encoded_len;
    expect((await runBin(['repair', '--mode', 'salvage', dir])).code).toBe(0);

    const inspect = await runBin(['inspect', dir]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain('salvaged    1 known region(s) skipped (salvaged.json; not corruption)\n');
    expect(inspect.stdout).toContain(`            3:${start} .. 3:${end}: ${victim.encoded_len} bytes salvaged (known, skipped`);
    expect(inspect.stdout).toMatch(/^000003\.wal .* salvaged x1$/m);
    expect(inspect.stdout).not.toMatch(/^corruption|CORRUPT/m);
    const report = await runJson<{ corruptions: unknown[]; salvaged: unknown[] }>(['inspect', '--json', dir]);
    expect(report.corruptions).toEqual([]);
    expect(report.salvaged).toHaveLength(1);

    const dump = await runBin(['dump', '--json', dir]);
    expect(dump.code).toBe(0);
    expect(oneErrorLine(dump.stderr)).toBe(
      `nori-wal: note: skipped ${victim.encoded_len} bytes at 3:${start} .. 3:${end}: salvaged (known, skipped; listed in salvaged.json)`,
    );
    const records = dumpedRecords(dump.stdout);
    expect(records).toHaveLength(500);
    expect(records.filter((record) => record.segmentId === 3 && record.offset >= start && record.offset < end)).toEqual([]);
  });

  it('a region listed over intact records: dump and verify skip them without reading them', async () => {
    const dir = await copyGolden('rotation_small');
    const first = await goldenRecord(2, 4);
    const resume = await goldenRecord(2, 6);
    const from = { segmentId: 2, offset: first.position.offset };
    const to = { segmentId: 2, offset: resume.position.offset };
    await writeFile(join(dir, 'salvaged.json'), JSON.stringify({ version: 1, regions: [{ from, to }] }));

    const dump = await runBin(['dump', '--json', dir]);
    expect(dump.code).toBe(0);
    const records = dumpedRecords(dump.stdout);
    expect(records).toHaveLength(499);
    const offsets = records.filter((record) => record.segmentId === 2).map((record) => record.offset);
    expect(offsets).not.toContain(first.position.offset);
    expect(offsets).not.toContain((await goldenRecord(2, 5)).position.offset);
    expect(offsets).toContain(resume.position.offset);

    const verify = await runBin(['verify', dir]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`${SEGMENTS} segment(s), 499 records`);
    expect(verify.stdout).toContain(`salvaged    2:${from.offset} .. 2:${to.offset}: ${to.offset - from.offset} bytes salvaged`);

    const inside = await runBin(['dump', '--from', `2:${(await goldenRecord(2, 5)).position.offset}`, dir]);
    expect(inside.code).toBe(1);
    expect(oneErrorLine(inside.stderr)).toContain(`is inside a region salvage skipped (2:${from.offset} .. 2:${to.offset})`);
  });

  it('a damaged end of an earlier segment, skipped up to the next segment, stays skipped', async () => {
    const dir = await copyGolden('rotation_small');
    const last = await goldenRecord(3, -1);
    await damage(dir, last);
    const repair = await runBin(['repair', '--mode', 'salvage', dir]);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toContain(`skipped     3:${last.position.offset} .. 4:0\n`);
    const verify = await runBin(['verify', dir]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`salvaged    3:${last.position.offset} .. 4:0: ${last.encoded_len} bytes salvaged (known, skipped`);
    const dump = await runBin(['dump', '--from', `3:${last.position.offset}`, '--limit', '1', dir]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toMatch(/^4:0 {2}PUT/);
  });

  it('a missing segment salvage skipped is not reported as missing again', async () => {
    const dir = await copyGolden('rotation_small');
    await unlink(join(dir, segmentName(5)));
    expect((await runBin(['verify', dir])).code).toBe(3);
    expect((await runBin(['repair', '--mode', 'salvage', dir])).code).toBe(0);
    const verify = await runBin(['verify', dir]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('salvaged    4:');
    expect(verify.stdout).toContain(' .. 6:0 (segment 5 in between skipped too): 0 bytes salvaged');
    expect(verify.stdout).not.toContain('missing');
  });

  it('a torn tail after a salvage is still exit 4', async () => {
    const dir = await copyGolden('rotation_small');
    await damage(dir, await goldenRecord(3, 12));
    expect((await runBin(['repair', '--mode', 'salvage', dir])).code).toBe(0);
    const lastSegment = join(dir, segmentName(SEGMENTS - 1));
    await truncate(lastSegment, (await readFile(lastSegment)).length - 5);
    const verify = await runBin(['verify', dir]);
    expect(verify.code).toBe(4);
    expect(verify.stdout).toContain('salvaged    3:');
    expect(verify.stdout).toContain('result      TORN TAIL');
  });

  const MALFORMED: [string, string | Uint8Array, string][] = [
    ['not JSON', '{"version":1,"regions":[', 'not JSON'],
    ['not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]), 'not JSON'],
    ['an array', '[]', 'expected { "version": 1, "regions": [...] }'],
    ['another version', '{"version":2,"regions":[]}', 'expected { "version": 1, "regions": [...] }'],
    ['a negative offset', '{"version":1,"regions":[{"from":{"segmentId":3,"offset":-1},"to":{"segmentId":3,"offset":9}}]}', 'region 0 is not'],
    ['a string position', '{"version":1,"regions":[{"from":{"segmentId":"3","offset":1},"to":{"segmentId":3,"offset":9}}]}', 'region 0 is not'],
    [
      'a backwards region',
      '{"version":1,"regions":[{"from":{"segmentId":3,"offset":9},"to":{"segmentId":3,"offset":9}}]}',
      'region 0 (3:9 .. 3:9) does not go forward',
    ],
  ];

  it.each(MALFORMED)('a malformed salvaged.json (%s): one error line, exit 1', async (_, content, problem) => {
    const dir = await copyGolden('rotation_small');
    await writeFile(join(dir, 'salvaged.json'), content);
    for (const command of ['verify', 'inspect', 'dump']) {
      const run = await runBin([command, dir]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(oneErrorLine(run.stderr)).toContain(`${join(dir, 'salvaged.json')} is invalid (${problem}`);
    }
  });
});
