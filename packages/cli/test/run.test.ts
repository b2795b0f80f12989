import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { encodeRecord } from '@nori/codec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, PROGRESS_THRESHOLD_BYTES, runCli, type OutputStream } from '../src/index.js';
import { CLI, cleanupScratch, copyGolden, scratchDir } from './helpers.js';

afterAll(cleanupScratch);

class Capture extends PassThrough {
  text = '';
  constructor(readonly isTTY: boolean) {
    super();
    this.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
    });
  }
}

async function run(args: string[], tty: { stdout?: boolean; stderr?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture(tty.stdout ?? false);
  const stderr = new Capture(tty.stderr ?? false);
  const code = await runCli(args, { stdout: stdout as OutputStream, stderr: stderr as OutputStream });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('runCli (in-process)', () => {
  it('only repair touches stdin (process.stdin builds a ReadStream: ~3 ms of every run)', async () => {
    const stdout = new Capture(false);
    const stderr = new Capture(false);
    const io = {
      stdout: stdout as OutputStream,
      stderr: stderr as OutputStream,
      get stdin(): never {
        throw new Error('stdin was read');
      },
    };
    const dir = await copyGolden('basic');
    for (const args of [
      ['verify', dir],
      ['inspect', dir],
      ['dump', dir],
    ]) {
      expect(await runCli(args, io), `${args[0]}: ${stderr.text}`).toBe(ExitCode.OK);
    }
  });

  it('returns exit codes and writes to the given streams', async () => {
    const clean = await run(['verify', await copyGolden('basic')]);
    expect(clean.code).toBe(ExitCode.OK);
    expect(clean.stdout).toContain('50 records');
    const torn = await run(['verify', await copyGolden('torn')]);
    expect(torn.code).toBe(ExitCode.TORN_TAIL);
    const missing = await run(['dump', '/nonexistent/x']);
    expect(missing.code).toBe(ExitCode.ERROR);
    expect(missing.stderr).toBe('nori-wal: /nonexistent/x: no such file or directory\n');
    const usage = await run(['dump', '--width', 'wide', 'x']);
    expect(usage.code).toBe(ExitCode.USAGE);
    expect(usage.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('progress bar', () => {
  let big: string;
  beforeAll(async () => {
    big = join(await scratchDir(), 'big');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(big);
    const record = encodeRecord({ key: 'blob', value: new Uint8Array(1024 * 1024).fill(0x61) });
    const count = Math.ceil(PROGRESS_THRESHOLD_BYTES / record.length) + 1;
    const file = new Uint8Array(record.length * count);
    for (let i = 0; i < count; i++) file.set(record, i * record.length);
    await writeFile(join(big, '000000.wal'), file);
  });

  it('is drawn on a TTY stderr for a large log', async () => {
    const result = await run(['verify', big], { stderr: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('verify [');
    expect(result.stderr).toMatch(/\d+%/);
    expect(result.stdout).not.toContain('verify [');
  });

  it('is never drawn with --json, --no-progress, a non-TTY stderr, or dump to a terminal', async () => {
    for (const [args, tty] of [
      [['verify', '--json', big], { stderr: true }],
      [['inspect', '--json', big], { stderr: true }],
      [['verify', '--no-progress', big], { stderr: true }],
      [['verify', big], { stderr: false }],
      [['dump', '--limit', '40', big], { stderr: true, stdout: true }],
      [['dump', '--json', '--limit', '1', big], { stderr: true }],
    ] as const) {
      const result = await run([...args], tty);
      expect(result.stderr, args.join(' ')).toBe('');
    }
  });

  it('repair draws it while it verifies a large log, and not with --no-progress or --json', async () => {
    const { cp } = await import('node:fs/promises');
    const copy = join(await scratchDir(), 'big-repair');
    await cp(big, copy, { recursive: true });
    const drawn = await run(['repair', copy], { stderr: true });
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(drawn.stderr).toContain('repair [');
    expect(drawn.stdout).not.toContain('repair [');
    for (const flag of ['--no-progress', '--json']) {
      const quiet = await run(['repair', flag, copy], { stderr: true });
      expect(quiet.code, flag).toBe(0);
      expect(quiet.stderr, flag).toBe('');
    }
  });

  it('inspect and dump draw it too when stderr is a terminal', async () => {
    expect((await run(['inspect', big], { stderr: true })).stderr).toContain('inspect [');
    expect((await run(['dump', '--limit', '40', big], { stderr: true })).stderr).toContain('dump [');
  });
});

describe('closed pipe', () => {
  it('`dump | head -n 1` ends quietly with exit 0', async () => {
    const dir = await copyGolden('prealloc');
    const result = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" dump --width 0 "${dir}" | head -n 1; echo "rc=\${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
    });
    expect(result.stdout).toMatch(/^0:0 {2}PUT {2}key="pa:000"/);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('rc=0');
    expect(result.stderr).toBe('');
  });
});

describe('README example', () => {
  it('examples/check-log.ts runs against a golden log', async () => {
    const dir = await copyGolden('torn');
    const example = new URL('../examples/check-log.ts', import.meta.url).pathname;
    const result = spawnSync(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', example, dir], {
      encoding: 'utf8',
      cwd: new URL('..', import.meta.url).pathname,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(ExitCode.TORN_TAIL);
    expect(result.stdout.split('\n')).toEqual([
      'torn-tail: 19 records in 1 segment(s)',
      '  tail torn at 0:21720: 918 bytes (incomplete); a normal open truncates them',
      '  0:0 PUT torn:000',
      '  0:1743 PUT torn:001',
      '  0:3393 PUT torn:002',
      '',
    ]);
  });
});

describe('repair asks on a terminal before dropping readable records', () => {
  async function damaged(): Promise<string> {
    const dir = await copyGolden('rotation_small');
    const file = join(dir, '000003.wal');
    const bytes = await readFile(file);
    bytes[40] = (bytes[40] ?? 0) ^ 0x5a;
    await writeFile(file, bytes);
    return dir;
  }

  async function repairAnswering(dir: string, answer: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new Capture(false);
    const stderr = new Capture(false);
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    stdin.end(answer);
    const code = await runCli(['repair', dir], { stdout: stdout as OutputStream, stderr: stderr as OutputStream, stdin });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('"n" changes nothing (exit 2); "y" repairs', async () => {
    const dir = await damaged();
    const before = await readFile(join(dir, '000003.wal'));
    const declined = await repairAnswering(dir, 'n\n');
    expect(declined.code).toBe(ExitCode.USAGE);
    expect(declined.stderr).toContain('Proceed with point-in-time? [y/N]');
    expect(declined.stderr).toContain('repair not confirmed; nothing was changed');
    expect(Buffer.compare(await readFile(join(dir, '000003.wal')), before)).toBe(0);
    const accepted = await repairAnswering(dir, 'y\n');
    expect(accepted.code, accepted.stderr).toBe(ExitCode.OK);
    expect(accepted.stdout).toContain('repaired    ');
  });
});
