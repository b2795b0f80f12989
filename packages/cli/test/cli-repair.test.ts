import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenCase, type GoldenRecord } from '@nori/test-support';
import { cleanupScratch, copyGolden, runBin, snapshot } from './helpers.js';

afterAll(cleanupScratch);

async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x5a;
  await writeFile(file, bytes);
}

/** Segment files as a map name -> bytes. */
async function segmentBytes(dir: string, names: readonly string[]): Promise<Map<string, Buffer>> {
  return new Map(await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name))] as const)));
}

describe.concurrent('repair', () => {
  it('--dry-run reports what would happen and changes nothing', async () => {
    const dir = await copyGolden('torn');
    const before = await snapshot(dir);
    const run = await runBin(['repair', '--dry-run', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('(mode point-in-time): nothing was changed');
    expect(run.stdout).toContain('tail        torn; 918 bytes would be cut off or moved');
    expect(run.stdout).toContain('quarantine  would be quarantine/000000.wal.at-21720 (copy of 918 cut bytes)');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('torn tail: truncated like Rust recovery, the cut bytes kept in quarantine/', async () => {
    const dir = await copyGolden('torn');
    const original = await readFile(join(dir, '000000.wal'));
    const end = (await goldenCase('torn')).rust_recovery.recovery_info.last_valid_position.offset;
    const run = await runBin(['repair', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('records     19 kept in 1 segment(s)');
    expect(run.stdout).toContain('after       clean: 19 records verified');
    expect((await stat(join(dir, '000000.wal'))).size).toBe(end);
    const kept = await readFile(join(dir, 'quarantine', `000000.wal.at-${end}`));
    expect(Buffer.concat([await readFile(join(dir, '000000.wal')), kept]).equals(original)).toBe(true);
    const verify = await runBin(['verify', dir]);
    expect(verify.code).toBe(0);
    const again = await runBin(['repair', '--json', dir]);
    const report = JSON.parse(again.stdout) as { recovery: { tail: string; records: number }; preserved: unknown[] };
    expect(report.recovery).toMatchObject({ tail: 'clean', records: 19 });
    expect(report.preserved).toEqual([]);
  });

  it('point-in-time on a corrupted earlier segment: keeps the prefix, quarantines the rest byte for byte', async () => {
    const dir = await copyGolden('rotation_small');
    const records = (await goldenCase('rotation_small')).records;
    const victim = records.filter((record) => record.position.segment_id === 3)[12] as GoldenRecord;
    await flipByte(join(dir, '000003.wal'), victim.position.offset + 3);
    const names = Array.from({ length: 17 }, (_, id) => `${String(id).padStart(6, '0')}.wal`);
    const original = await segmentBytes(dir, names);
    const run = await runBin(['repair', '--mode', 'point-in-time', '--yes', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`corruption  3:${victim.position.offset}: crc-mismatch`);
    const kept = records.filter(
      (record) => record.position.segment_id < 3 || (record.position.segment_id === 3 && record.position.offset < victim.position.offset),
    );
    expect(run.stdout).toContain(`records     ${kept.length} kept in 4 segment(s)`);
    expect(run.stdout).toContain(`after       clean: ${kept.length} records verified`);
    // Nothing deleted: every byte is either still in its segment or in quarantine/.
    const head = await readFile(join(dir, '000003.wal'));
    const tail = await readFile(join(dir, 'quarantine', `000003.wal.at-${victim.position.offset}`));
    expect(Buffer.concat([head, tail]).equals(original.get('000003.wal') as Buffer)).toBe(true);
    for (const name of names.slice(4)) {
      expect((await readFile(join(dir, 'quarantine', name))).equals(original.get(name) as Buffer)).toBe(true);
    }
    const dump = await runBin(['dump', '--json', dir]);
    expect(dump.stdout.trimEnd().split('\n')).toHaveLength(kept.length);
  });

  it('point-in-time that would drop readable records: shows the plan, names salvage, changes nothing without --yes', async () => {
    const dir = await copyGolden('rotation_small');
    const records = (await goldenCase('rotation_small')).records;
    const victim = records.filter((record) => record.position.segment_id === 3)[12] as GoldenRecord;
    await flipByte(join(dir, '000003.wal'), victim.position.offset + 3);
    const before = await snapshot(dir);
    const dropped = records.filter(
      (record) => record.position.segment_id > 3 || (record.position.segment_id === 3 && record.position.offset > victim.position.offset),
    ).length;
    const run = await runBin(['repair', dir]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('(mode point-in-time): nothing was changed');
    expect(run.stderr).toContain(`would take ${dropped.toLocaleString('en-US')} readable record(s) after the first damage`);
    expect(run.stderr).toContain('"--mode salvage" keeps them');
    expect(run.stderr).toMatch(/nori-wal: .*nothing was changed\. Rerun with --yes to proceed, or use --mode salvage to keep them\n$/);
    expect(await snapshot(dir)).toEqual(before);
    // salvage removes no healthy record: no confirmation needed.
    const salvage = await runBin(['repair', '--mode', 'salvage', dir]);
    expect(salvage.code, salvage.stderr).toBe(0);
  });

  it('salvage keeps every readable record, leaves segments untouched and records the skipped region', async () => {
    const dir = await copyGolden('rotation_small');
    const victim = (await goldenCase('rotation_small')).records.filter((record) => record.position.segment_id === 6)[5] as GoldenRecord;
    await flipByte(join(dir, '000006.wal'), victim.position.offset + victim.encoded_len - 2);
    const before = (await snapshot(dir)).map(({ name, sha256 }) => ({ name, sha256 }));
    const run = await runBin(['repair', '--mode', 'salvage', '--json', dir]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      recovery: { records: number; skipped: unknown[]; quarantined: string[] };
      salvaged: { file: string; regions: unknown[]; fresh: number; copies: { name: string; size: number }[] } | null;
      after: { status: string; records: number; corruptions: unknown[]; salvaged: unknown[] };
    };
    expect(report.recovery.records).toBe(500);
    expect(report.recovery.skipped).toEqual([
      { from: { segmentId: 6, offset: victim.position.offset }, to: { segmentId: 6, offset: victim.position.offset + victim.encoded_len } },
    ]);
    expect(report.recovery.quarantined).toEqual([]);
    // The verification afterwards honours salvaged.json: the skipped region is known, not corruption.
    expect(report.after).toMatchObject({ status: 'clean', records: 500, corruptions: [] });
    expect(report.after.salvaged).toEqual([{ ...(report.recovery.skipped[0] as object), length: victim.encoded_len }]);
    // Segments are untouched; salvage records the skipped region in salvaged.json (so every later
    // open skips it too) and copies the damaged bytes to quarantine/ for the operator.
    const region = `quarantine/000006.wal.skipped-${victim.position.offset}`;
    const after = await snapshot(dir);
    expect(after.filter(({ name }) => name.endsWith('.wal') && !name.startsWith('quarantine/')).map(({ name, sha256 }) => ({ name, sha256 }))).toEqual(before);
    // ... and keeps a full copy of the segment: a reader that truncates at the damage cannot lose the rest.
    const full = 'quarantine/000006.wal.salvaged';
    expect(after.map(({ name }) => name).filter((name) => !name.endsWith('.wal'))).toEqual([full, region, 'salvaged.json']);
    expect((await readFile(join(dir, full))).equals(await readFile(join(dir, '000006.wal')))).toBe(true);
    const segment = await readFile(join(dir, '000006.wal'));
    const damaged = segment.subarray(victim.position.offset, victim.position.offset + victim.encoded_len);
    expect((await readFile(join(dir, region))).equals(damaged)).toBe(true);
    expect(report.salvaged).toEqual({
      file: 'salvaged.json',
      regions: report.recovery.skipped,
      fresh: 1,
      copies: [{ name: region, size: victim.encoded_len }],
      segmentCopies: [{ name: full, size: (await readFile(join(dir, full))).length }],
    });
  });

  it('prealloc: the zero-filled tail is trimmed, no quarantine copy of zeros', async () => {
    const dir = await copyGolden('prealloc');
    const run = await runBin(['repair', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('records     60 kept in 2 segment(s)');
    expect(run.stdout).toContain('quarantine  nothing');
    expect((await stat(join(dir, '000001.wal'))).size).toBe(442638);
  });

  it('takes over a stale lock left by a dead writer', async () => {
    const dir = await copyGolden('torn');
    // pid 2^22 + 1 is above Linux's pid_max, so no such process exists.
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: 4194305, hostname: hostname(), acquiredAt: '2026-01-01T00:00:00.000Z' }));
    const run = await runBin(['repair', dir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('after       clean: 19 records verified');
  });
});
