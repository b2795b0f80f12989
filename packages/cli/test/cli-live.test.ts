import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Wal } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type OutputStream } from '../src/index.js';
import { cleanupScratch, runBin, scratchDir, snapshot } from './helpers.js';

afterAll(cleanupScratch);

describe('a live log written by @nori/wal', () => {
  it('inspect/verify/dump work beside the running writer, show it as lock holder, and change nothing', async () => {
    const dir = join(await scratchDir(), 'live');
    const { wal } = await Wal.open({ dir, maxSegmentSize: 16 * 1024, preallocate: true, fsync: 'always' });
    try {
      for (let i = 0; i < 300; i++) await wal.append({ key: `key:${i}`, value: 'v'.repeat(i % 300), ...(i % 7 === 0 ? { ttlMs: 1000 } : {}) });
      await wal.appendBatch([
        { key: 'batch:a', value: 'A' },
        { key: 'batch:b', tombstone: true },
      ]);
      await wal.sync();
      const segments = await wal.segments();
      expect(segments.length).toBeGreaterThan(1);
      const before = await snapshot(dir);

      const inspect = await runBin(['inspect', '--json', dir]);
      expect(inspect.code).toBe(0);
      const report = JSON.parse(inspect.stdout) as {
        totals: { records: number; segments: number };
        lock: { pid: number; stale: boolean } | null;
        tail: { kind: string; position: { segmentId: number; offset: number } };
      };
      expect(report.totals).toMatchObject({ records: 302, segments: segments.length });
      expect(report.lock).toMatchObject({ pid: process.pid, stale: false });
      // The active segment is preallocated: its zeros start where the next append goes.
      expect(report.tail.kind).toBe('zero-filled');
      expect(report.tail.position).toEqual(wal.writtenPosition);

      const verify = await runBin(['verify', dir]);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toContain('302 records');

      const dump = await runBin(['dump', '--json', '--from', `${segments[1]?.id}:0`, dir]);
      expect(dump.code).toBe(0);
      const lines = dump.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { keyText: string; tombstone: boolean });
      expect(lines.at(-1)).toMatchObject({ keyText: 'batch:b', tombstone: true });
      expect(lines.at(-2)).toMatchObject({ keyText: 'batch:a', tombstone: false });

      const repair = await runBin(['repair', dir]);
      expect(repair.code).toBe(1);
      expect(repair.stderr).toMatch(/^nori-wal: .*locked by a writer \(held by pid \d+ .*\(process running\)\); stop it first/);

      expect(await snapshot(dir)).toEqual(before);
      // The writer is unaffected.
      await wal.append({ key: 'after', value: 'inspection' });
    } finally {
      await wal.close();
    }
    const after = await runBin(['dump', '--from', '0', '--json', dir]);
    expect(after.stdout.trimEnd().split('\n').at(-1)).toContain('"keyText":"after"');
  });
});

const LIVE_WRITER = fileURLToPath(new URL('./fixtures/live-writer.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../', import.meta.url));
/** Enough rounds to meet every race several times (verify failed about every other round before). */
const LIVE_ROUNDS = 30;

class Capture extends PassThrough {
  text = '';
  constructor() {
    super();
    this.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
    });
  }
}

async function runInProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(args, { stdout: stdout as OutputStream, stderr: stderr as OutputStream });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Starts a writer in another process that rotates and collects segments; resolves once its GC ran. */
async function startLiveWriter(dir: string): Promise<() => Promise<string>> {
  const child = spawn(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', LIVE_WRITER, dir], {
    cwd: PACKAGE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const stop = async (): Promise<string> => {
    child.stdin.end();
    const code = await exited;
    return code === 0 ? stderr : `exit ${String(code)}: ${stderr}`;
  };
  stopWriters.push(stop);
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    void exited.then((code) => reject(new Error(`writer exited (${String(code)}) before it was ready: ${stderr}`)));
  });
  return stop;
}

const stopWriters: (() => Promise<string>)[] = [];
afterAll(async () => {
  for (const stop of stopWriters.splice(0)) await stop();
});

/** The damage and tail a failed `verify --json` reported. */
function verdict(stdout: string): string {
  if (stdout === '') return '';
  const report = JSON.parse(stdout) as { corruptions?: unknown; tail?: unknown };
  return JSON.stringify({ corruptions: report.corruptions, tail: report.tail });
}

const GONE_NOTE = /^nori-wal: note: segment (\d+)\.wal was deleted by the writer's GC before dump reached it; its records are not shown$/;

/**
 * Problems in `dump --json` output: record numbers must follow each other, except across
 * segments that dump said (in `notes`) a live writer's GC deleted before it reached them.
 */
function dumpGaps(stdout: string, notes: readonly string[]): string[] {
  const gone = new Set(notes.map((line) => Number(GONE_NOTE.exec(line)?.[1])));
  const records = stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { keyText: string; segmentId: number })
    .map((entry) => ({ n: Number(entry.keyText.slice(2)), segment: entry.segmentId }));
  const explained = (from: number, to: number): boolean =>
    to > from + 1 && Array.from({ length: to - from - 1 }, (_, i) => from + 1 + i).every((id) => gone.has(id));
  return records.flatMap((entry, i) => {
    const previous = records[i - 1];
    if (previous === undefined || entry.n === previous.n + 1 || explained(previous.segment, entry.segment)) return [];
    return [`${previous.n} (segment ${previous.segment}) then ${entry.n} (segment ${entry.segment})`];
  });
}

describe('inspect/verify/dump beside a writer that rotates and collects segments (another process)', () => {
  it('never fail and never report damage in the healthy live log', { timeout: 60_000 }, async () => {
    const dir = join(await scratchDir(), 'busy');
    const stop = await startLiveWriter(dir);
    const alarms: string[] = [];
    let records = 0;
    for (let round = 0; round < LIVE_ROUNDS; round++) {
      for (const command of ['verify', 'inspect', 'dump']) {
        const run = await runInProcess([command, '--json', dir]);
        // dump may fall behind the writer's GC: it says so (a note, not an error) for each segment.
        const notes = run.stderr.split('\n').filter((line) => line !== '');
        const unexpected = command === 'dump' ? notes.filter((line) => !GONE_NOTE.test(line)) : notes;
        if (run.code !== 0 || unexpected.length > 0) {
          alarms.push(`round ${round} ${command}: exit ${run.code} ${unexpected.join(' | ')}${command === 'verify' ? verdict(run.stdout) : ''}`);
        }
        if (command === 'verify' && run.code === 0) records += (JSON.parse(run.stdout) as { records: number }).records;
        if (command === 'dump') alarms.push(...dumpGaps(run.stdout, notes).map((gap) => `round ${round} dump skipped records: ${gap}`));
      }
    }
    expect(await stop()).toBe('');
    expect(alarms).toEqual([]);
    expect(records).toBeGreaterThan(LIVE_ROUNDS * 50);
  });
});
