import { appendFile, readFile, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordScanner } from '@nori/codec';
import { crc32c } from '@nori/codec';
import { NodeFileStorage } from '@nori/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { goldenCase, type GoldenRecord } from '@nori/test-support';
import { cleanupScratch, copyGolden, positionOf, runBin, runJson, scratchDir, snapshot } from './helpers.js';

afterAll(cleanupScratch);

const CLEAN_CASES = ['basic', 'lz4', 'zstd', 'rotation_small', 'prealloc'] as const;

/** Flips one byte of `file` at `offset`. */
async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[offset] = (bytes[offset] ?? 0) ^ 0x5a;
  await writeFile(file, bytes);
}

function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(lines[0]).toMatch(/^nori-wal: /);
  return lines[0] ?? '';
}

describe.concurrent('verify on golden Rust logs', () => {
  it.each(CLEAN_CASES)('%s: clean, exit 0, every record counted', async (name) => {
    const dir = await copyGolden(name);
    const expected = await goldenCase(name);
    const run = await runBin(['verify', '--json', dir]);
    expect(run.stderr).toBe('');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { status: string; records: number; corruptions: unknown[]; tail: { kind: string } };
    expect(report.status).toBe('clean');
    expect(report.records).toBe(expected.rust_recovery.read_back_count);
    expect(report.corruptions).toEqual([]);
    expect(report.tail.kind).toBe(name === 'prealloc' ? 'zero-filled' : 'clean');
  });

  it('torn: reports a torn tail where Rust recovery cut it, exit 4', async () => {
    const dir = await copyGolden('torn');
    const expected = await goldenCase('torn');
    const end = expected.rust_recovery.recovery_info.last_valid_position;
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toContain(
      `tail        torn at ${end.segment_id}:${end.offset}: ${expected.rust_recovery.recovery_info.bytes_truncated} bytes (incomplete)`,
    );
    expect(run.stdout).toContain('result      TORN TAIL');
    expect(run.stdout).toContain(`on open     a default open (recovery tolerate-tail) would keep 19 records, cut off 918 bytes; next append at 0:21720`);
    expect(run.stdout).toContain(`19 records`);
  });

  it('prealloc: the zero-filled tail starts at the logical end Rust reported', async () => {
    const dir = await copyGolden('prealloc');
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('tail        zero-filled at 1:442638: 605,938 bytes of preallocated zeros');
  });
});

describe.concurrent('verify on corrupted copies', () => {
  it('a byte flipped mid-log: corruption at that record, exit 3', async () => {
    const dir = await copyGolden('basic');
    const records = (await goldenCase('basic')).records;
    const victim = records[25] as GoldenRecord;
    await flipByte(join(dir, '000000.wal'), victim.position.offset + Math.floor(victim.encoded_len / 2));
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain(`CORRUPT     ${positionOf(victim)}: crc-mismatch, ${victim.encoded_len} bytes unreadable`);
    expect(run.stdout).toContain('49 records');
    expect(run.stdout).toContain('result      CORRUPT: 1 damaged region(s) before the tail; see "nori-wal repair --help" (exit 3)');
    // The WAL's own (read-only) recovery agrees: a default open keeps the 25 records before it.
    expect(run.stdout).toContain(
      `on open     a default open (recovery tolerate-tail) would keep 25 records, cut off ${(137224 - victim.position.offset).toLocaleString('en-US')} bytes, move 1 file(s) to quarantine/; next append at ${positionOf(victim)}`,
    );
    const json = await runJson<{ corruptions: unknown[]; exitCode: number }>(['verify', '--json', dir]);
    expect(json.exitCode).toBe(3);
    expect(json.corruptions).toEqual([{ segmentId: 0, offset: victim.position.offset, length: victim.encoded_len, reason: 'crc-mismatch' }]);
  });

  it('tail truncated inside the last record: torn tail, exit 4', async () => {
    const dir = await copyGolden('basic');
    const last = (await goldenCase('basic')).records.at(-1) as GoldenRecord;
    await truncate(join(dir, '000000.wal'), last.position.offset + Math.floor(last.encoded_len / 2));
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toContain(`torn at ${positionOf(last)}: ${Math.floor(last.encoded_len / 2)} bytes (incomplete)`);
  });

  it('zero-filled tail appended after the last record: clean (exit 0) and reported', async () => {
    const dir = await copyGolden('basic');
    await appendFile(join(dir, '000000.wal'), new Uint8Array(65536));
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('zero-filled at 0:137224: 65,536 bytes');
  });

  it('last record half overwritten with zeros: torn tail, exit 4', async () => {
    const dir = await copyGolden('basic');
    const last = (await goldenCase('basic')).records.at(-1) as GoldenRecord;
    const file = join(dir, '000000.wal');
    const bytes = await readFile(file);
    bytes.fill(0, last.position.offset + 3);
    await writeFile(file, bytes);
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(4);
    expect(run.stdout).toContain(`torn at ${positionOf(last)}`);
    expect(run.stdout).toContain('(crc-mismatch)');
  });

  it('an earlier segment of rotation_small corrupted: exit 3, later segments still read', async () => {
    const dir = await copyGolden('rotation_small');
    const records = (await goldenCase('rotation_small')).records;
    const inSegment3 = records.filter((record) => record.position.segment_id === 3);
    const victim = inSegment3[10] as GoldenRecord;
    await flipByte(join(dir, '000003.wal'), victim.position.offset + victim.encoded_len - 6);
    const run = await runBin(['verify', '--json', dir]);
    expect(run.code, run.stderr).toBe(3);
    const report = JSON.parse(run.stdout) as { records: number; corruptions: unknown[]; tail: { kind: string } };
    expect(report.corruptions).toEqual([{ segmentId: 3, offset: victim.position.offset, length: victim.encoded_len, reason: 'crc-mismatch' }]);
    expect(report.records).toBe(500);
    expect(report.tail.kind).toBe('clean');
    const preview = (JSON.parse(run.stdout) as { preview: { quarantined: string[]; lastPosition: unknown } }).preview;
    expect(preview.lastPosition).toEqual({ segmentId: 3, offset: victim.position.offset });
    expect(preview.quarantined).toEqual([
      `quarantine/000003.wal.at-${victim.position.offset}`,
      ...Array.from({ length: 13 }, (_, i) => `quarantine/${String(i + 4).padStart(6, '0')}.wal`),
    ]);
  });

  it('an earlier segment cut short: its damaged end is corruption (not a tail), exit 3', async () => {
    const dir = await copyGolden('rotation_small');
    const inSegment5 = (await goldenCase('rotation_small')).records.filter((record) => record.position.segment_id === 5);
    const cut = inSegment5[20] as GoldenRecord;
    await truncate(join(dir, '000005.wal'), cut.position.offset + 5);
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain(`CORRUPT     ${positionOf(cut)}: incomplete, 5 bytes unreadable`);
    expect(run.stdout).toContain('tail        clean at 16:3051');
  });

  it('a missing middle segment is corruption, exit 3', async () => {
    const dir = await copyGolden('rotation_small');
    await unlink(join(dir, '000007.wal'));
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain('CORRUPT     segment 7 is missing (gap in segment ids)');
  });

  it('a compressed value that no longer decompresses (CRC recomputed) is corruption, exit 3', async () => {
    const dir = await copyGolden('zstd');
    const file = join(dir, '000000.wal');
    const bytes = await readFile(file);
    const scanner = new RecordScanner({ verifyCompressed: false });
    scanner.reset(bytes);
    expect(scanner.next()).toBe('ok');
    expect(scanner.compression).toBe('zstd');
    const end = scanner.recordStart + scanner.recordSize;
    bytes[scanner.valueStart] = (bytes[scanner.valueStart] ?? 0) ^ 0xff; // breaks the zstd frame magic
    const crc = crc32c(bytes.subarray(scanner.recordStart, end - 4));
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(end - 4, crc, true);
    await writeFile(file, bytes);
    const run = await runBin(['verify', dir]);
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain(`CORRUPT     0:0: decompression-failed, ${scanner.recordSize} bytes unreadable`);
    expect(run.stdout).toContain('15 records');
  });
});

describe.concurrent('inspect', () => {
  it('rotation_small: segments, per-segment counts and first/last positions match the manifest', async () => {
    const dir = await copyGolden('rotation_small');
    const expected = await goldenCase('rotation_small');
    const run = await runBin(['inspect', '--json', dir]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      totals: { segments: number; records: number; bytes: number };
      first: { segmentId: number; offset: number };
      last: { segmentId: number; offset: number };
      lock: unknown;
      segments: { name: string; size: number; records: number; firstOffset: number | null; lastOffset: number | null }[];
    };
    expect(report.totals.segments).toBe(17);
    expect(report.totals.records).toBe(501);
    expect(report.totals.bytes).toBe(expected.files.reduce((sum, file) => sum + file.size, 0));
    expect(report.lock).toBeNull();
    const first = expected.records[0] as GoldenRecord;
    const last = expected.records.at(-1) as GoldenRecord;
    expect(report.first).toEqual({ segmentId: first.position.segment_id, offset: first.position.offset });
    expect(report.last).toEqual({ segmentId: last.position.segment_id, offset: last.position.offset });
    for (const segment of report.segments) {
      const id = Number(segment.name.slice(0, 6));
      const mine = expected.records.filter((record) => record.position.segment_id === id);
      expect(segment.records).toBe(mine.length);
      expect(segment.firstOffset).toBe(mine[0]?.position.offset ?? null);
      expect(segment.lastOffset).toBe(mine.at(-1)?.position.offset ?? null);
      expect(segment.size).toBe(expected.files.find((file) => file.name === segment.name)?.size);
    }
  });

  it('prealloc: text output shows the zero-filled tail of the last segment', async () => {
    const dir = await copyGolden('prealloc');
    const run = await runBin(['inspect', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/000001\.wal\s+1,048,576\s+18\s+0\s+418,047\s+442,638\s+zero-filled tail 591\.7 KiB/);
    expect(run.stdout).toContain('records     60 (0 tombstones, 0 compressed)');
    expect(run.stdout).toContain('lock        not held');
  });

  it('shows the lock holder (a live writer) without taking the lock', async () => {
    const dir = await copyGolden('basic');
    const lock = await new NodeFileStorage(dir).lock();
    try {
      const run = await runBin(['inspect', dir]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain(`lock        held by pid ${process.pid} on `);
      expect(run.stdout).toContain('(process running)');
    } finally {
      await lock.release();
    }
  });

  it('flags a stale lock left by a process that is gone', async () => {
    const dir = await copyGolden('basic');
    const { hostname } = await import('node:os');
    // pid 2^22 + 1 is above Linux's pid_max limit, so no such process can exist.
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid: 4194305, hostname: hostname(), acquiredAt: '2026-01-01T00:00:00.000Z' }));
    const run = await runBin(['inspect', dir]);
    expect(run.stdout).toContain('held by pid 4194305');
    expect(run.stdout).toContain('(stale: that process is gone)');
  });

  it('reports mid-log damage in the summary', async () => {
    const dir = await copyGolden('rotation_small');
    await unlink(join(dir, '000004.wal'));
    const run = await runBin(['inspect', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('segment 4 is missing');
  });
});

describe.concurrent('dump', () => {
  it('basic --json: every record with exact key, value, ttl and position', async () => {
    const dir = await copyGolden('basic');
    const expected = await goldenCase('basic');
    const run = await runBin(['dump', '--json', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(expected.records.length);
    lines.forEach((line, index) => {
      const record = expected.records[index] as GoldenRecord;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed.segmentId).toBe(record.position.segment_id);
      expect(parsed.offset).toBe(record.position.offset);
      expect(parsed.size).toBe(record.encoded_len);
      expect(parsed.key).toBe(record.key_hex);
      expect(parsed.value).toBe(record.value_hex);
      expect(parsed.tombstone).toBe(record.tombstone);
      expect(line).toContain(`"ttlMs":${record.ttl_ms === null ? 'null' : String(record.ttl_ms)}`);
    });
    expect(run.stdout).toContain('"ttlMs":18446744073709551615');
  });

  it.each(['lz4', 'zstd'])('%s --json --encoding base64: decompressed values', async (name) => {
    const dir = await copyGolden(name);
    const expected = await goldenCase(name);
    const run = await runBin(['dump', '--json', '--encoding', 'base64', dir]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { value: string; compression: string });
    expect(lines.map((line) => Buffer.from(line.value, 'base64').toString('hex'))).toEqual(expected.records.map((r) => r.value_hex));
    expect(lines.map((line) => line.compression)).toEqual(expected.records.map((r) => r.compression));
  });

  it('text: printable keys as text, binary as hex, long values cut to --width', async () => {
    const dir = await copyGolden('basic');
    const run = await runBin(['dump', '--width', '8', dir]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('0:0  PUT  key="user:000…"  value="{\\"id\\":0,…"  len=23');
    expect(lines).toContain('0:779  PUT  key=0x00  value="nul key"');
    expect(lines).toContain('0:696  PUT  key="ttl:max"  value="x"  ttl=18446744073709551615ms');
    expect(lines).toContain('0:390  DEL  key="user:000…"');
    expect(lines.find((line) => line.startsWith('0:34549 '))).toBe('0:34549  PUT  key="blob:100…"  value=0x57872609…  len=102,400');
  });

  it('--from and --limit select a window of records across segments', async () => {
    const dir = await copyGolden('rotation_small');
    const records = (await goldenCase('rotation_small')).records;
    const start = records.findIndex((record) => record.position.segment_id === 5) + 3;
    const run = await runBin(['dump', '--json', '--from', positionOf(records[start] as GoldenRecord), '--limit', '60', dir]);
    expect(run.code, run.stderr).toBe(0);
    const got = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { segmentId: number; offset: number });
    // The one position shape of every --json output ({ segmentId, offset }, as @nori/wal's Position).
    expect(Object.keys(got[0] ?? {}).slice(0, 2)).toEqual(['segmentId', 'offset']);
    expect(got.map((entry) => `${entry.segmentId}:${entry.offset}`)).toEqual(records.slice(start, start + 60).map(positionOf));
  });

  it('--from a bare segment id starts at its first record; --limit 0 prints nothing', async () => {
    const dir = await copyGolden('rotation_small');
    const run = await runBin(['dump', '--from', '16', '--limit', '1', dir]);
    expect(run.stdout).toMatch(/^16:0 {2}/);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    const none = await runBin(['dump', '--limit', '0', dir]);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
  });

  it('skips a damaged region with a warning, prints everything else, exit 3', async () => {
    const dir = await copyGolden('basic');
    const records = (await goldenCase('basic')).records;
    const victim = records[10] as GoldenRecord;
    await flipByte(join(dir, '000000.wal'), victim.position.offset + 2);
    const run = await runBin(['dump', '--json', dir]);
    expect(run.code, run.stderr).toBe(3);
    expect(oneErrorLine(run.stderr)).toBe(`nori-wal: warning: skipped ${victim.encoded_len} damaged bytes at ${positionOf(victim)} (crc-mismatch)`);
    const got = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { key: string }).key);
    expect(got).toEqual(records.filter((_, index) => index !== 10).map((record) => record.key_hex));
  });

  it('torn tail: prints the intact records and warns, exit 0', async () => {
    const dir = await copyGolden('torn');
    const run = await runBin(['dump', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(19);
    expect(oneErrorLine(run.stderr)).toContain('warning: tail torn at 0:21720');
  });
});

describe.concurrent('read-only commands never modify the directory', () => {
  it.each([
    ['prealloc', undefined],
    ['torn', undefined],
    ['rotation_small', 'corrupt'],
  ] as const)('%s (%s): bytes, sizes and mtimes unchanged; works while a writer holds the lock', async (name, damage) => {
    const dir = await copyGolden(name);
    if (damage === 'corrupt') await flipByte(join(dir, '000002.wal'), 100);
    const lock = await new NodeFileStorage(dir).lock();
    try {
      const before = await snapshot(dir);
      for (const args of [['inspect'], ['inspect', '--json'], ['verify'], ['verify', '--json'], ['dump'], ['dump', '--json']]) {
        const run = await runBin([...args, dir]);
        expect([0, 3, 4]).toContain(run.code);
      }
      expect(await snapshot(dir)).toEqual(before);
    } finally {
      await lock.release();
    }
  });
});

describe.concurrent('errors: one line on stderr, non-zero exit', () => {
  it('missing directory', async () => {
    const run = await runBin(['verify', '/nonexistent/nori-wal-dir']);
    expect(run.code, run.stderr).toBe(1);
    expect(oneErrorLine(run.stderr)).toBe('nori-wal: /nonexistent/nori-wal-dir: no such file or directory');
    expect(run.stdout).toBe('');
  });

  it('a file instead of a directory', async () => {
    const dir = await copyGolden('basic');
    const run = await runBin(['inspect', join(dir, '000000.wal')]);
    expect(run.code, run.stderr).toBe(1);
    expect(oneErrorLine(run.stderr)).toContain('000000.wal: not a directory');
  });

  it('not a WAL directory', async () => {
    const dir = await scratchDir();
    await writeFile(join(dir, 'notes.txt'), 'hello');
    for (const command of ['inspect', 'dump', 'verify', 'repair']) {
      const run = await runBin([command, dir]);
      expect(run.code, run.stderr).toBe(1);
      expect(oneErrorLine(run.stderr)).toBe(`nori-wal: ${dir}: not a WAL directory (no NNNNNN.wal segment files)`);
    }
  });

  it('repair on a locked directory: clear error, nothing changed', async () => {
    const dir = await copyGolden('torn');
    const lock = await new NodeFileStorage(dir).lock();
    try {
      const before = await snapshot(dir);
      const run = await runBin(['repair', dir]);
      expect(run.code, run.stderr).toBe(1);
      expect(oneErrorLine(run.stderr)).toMatch(new RegExp(`locked by a writer \\(held by pid ${process.pid} on .*\\(process running\\)\\)`));
      expect(await snapshot(dir)).toEqual(before);
    } finally {
      await lock.release();
    }
  });

  it.each([
    ['abc', 2, "argument 'abc' is invalid"],
    ['1:2:3', 2, 'expected SEGMENT:OFFSET'],
    ['99:0', 1, 'segment 99 does not exist (segments are 0..16)'],
    ['5:1', 1, 'no record starts at 5:1'],
    ['5:999999', 1, 'position 5:999999 is past the end of 000005.wal (3931 bytes)'],
  ])('bad --from %s', async (from, code, message) => {
    const dir = await copyGolden('rotation_small');
    const run = await runBin(['dump', '--from', from, dir]);
    expect(run.code, run.stderr).toBe(code);
    expect(oneErrorLine(run.stderr)).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('usage errors exit 2', async () => {
    for (const args of [['frobnicate'], ['verify'], ['verify', '--bogus', 'x'], ['dump', '--limit', '-1', 'x'], ['repair', '--mode', 'yolo', 'x']]) {
      const run = await runBin(args);
      expect(run.code, args.join(' ')).toBe(2);
      oneErrorLine(run.stderr);
    }
  });
});

describe.concurrent('--help and --version', () => {
  it.each(['inspect', 'dump', 'verify', 'repair'])('%s --help', async (command) => {
    const run = await runBin([command, '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Usage: nori-wal ${command} [options] <dir>`);
    expect(run.stdout).toContain('Example');
  });

  it('top-level --help lists every command and the exit codes', async () => {
    const run = await runBin(['--help']);
    expect(run.code, run.stderr).toBe(0);
    for (const command of ['inspect', 'dump', 'verify', 'repair']) expect(run.stdout).toContain(command);
    expect(run.stdout).toContain('Exit codes:');
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await runBin(['--version']);
    expect(run.stdout.trim()).toBe(pkg.version);
  });
});
