import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvStore } from '../src/index.js';
import { cli, runCli, type CliResult } from './helpers/run-cli.js';

type Result = CliResult;
const run = runCli;
let base: string;

function expectOneLineError(result: Result, code: string, exitCode = 1): void {
  expect(result.code, result.stderr).toBe(exitCode);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^nori-kv: /);
  expect(lines[0]).toContain(code);
}

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'nori-kv-e2e-'));
});

afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

// Every test here starts several real `nori-kv` processes (the demo starts a writer child and
// SIGKILLs it). On 2 cores that also run the crash campaigns, one process start can take seconds:
// measured at load 7, single tests took 8-30 s and one hit the shared 30 s limit in CI.
describe('nori-kv (built binary)', { timeout: 120_000 }, () => {
  it('is executable and reports its version', async () => {
    const stat = await fs.stat(cli);
    expect(stat.mode & 0o111).not.toBe(0);
    const result = await run(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('puts, gets, scans, deletes, compacts and shows stats', async () => {
    const dir = path.join(base, 'basic');
    const kv = (...args: string[]) => run(['--dir', dir, ...args]);
    expect((await kv('put', 'user:1', 'ada')).stdout.trim()).toBe('OK');
    expect((await kv('put', 'user:2', 'grace')).code).toBe(0);
    expect((await kv('put', 'session:9', 'token')).code).toBe(0);
    expect((await kv('get', 'user:1')).stdout).toBe('ada\n');
    expect((await kv('scan', '--prefix', 'user:')).stdout).toBe('user:1\tada\nuser:2\tgrace\n');
    expect((await kv('scan', '--limit', '1')).stdout).toBe('session:9\ttoken\n');
    expect((await kv('del', 'user:2')).code).toBe(0);
    expect((await kv('scan', '--prefix', 'user:')).stdout).toBe('user:1\tada\n');

    const compact = await kv('compact');
    expect(compact.code, compact.stderr).toBe(0);
    expect(compact.stdout).toMatch(/snapshot of 2 keys/);
    const stats = await kv('stats');
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^keys\s+2 live/m);
    expect(stats.stdout).toMatch(/^snapshot\s+covers the log up to \d+:\d+: 2 keys/m);
    expect((await kv('get', 'user:1')).stdout).toBe('ada\n');
  });

  it('reads the directory from NORI_KV_DIR', async () => {
    const dir = path.join(base, 'env');
    expect((await run(['put', 'k', 'v'], { NORI_KV_DIR: dir })).code).toBe(0);
    expect((await run(['--dir', dir, 'get', 'k'])).stdout).toBe('v\n');
  });

  it('expires a key with --ttl across process restarts', async () => {
    const dir = path.join(base, 'ttl');
    expect((await run(['--dir', dir, 'put', 'soon', 'gone', '--ttl', '300'])).code).toBe(0);
    expect((await run(['--dir', dir, 'put', 'later', 'here', '--ttl', '600000'])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expectOneLineError(await run(['--dir', dir, 'get', 'soon']), 'ERR_NOT_FOUND');
    expect((await run(['--dir', dir, 'get', 'later'])).stdout).toBe('here\n');
  });

  it('reports bad input as one line on stderr with a non-zero exit', async () => {
    const dir = path.join(base, 'errors');
    expect((await run(['--dir', dir, 'put', 'k', 'v'])).code).toBe(0);
    expectOneLineError(await run(['--dir', dir, 'get', 'nope']), 'ERR_NOT_FOUND');
    expectOneLineError(await run(['--dir', dir, 'del', 'nope']), 'ERR_NOT_FOUND');
    expectOneLineError(await run(['--dir', dir, 'put', 'k', 'v', '--ttl', 'soon']), 'ERR_INVALID_TTL', 2);
    expectOneLineError(await run(['--dir', dir, 'put', 'k', 'v', '--ttl', '0']), 'ERR_INVALID_TTL', 2);
    expectOneLineError(await run(['--dir', dir, 'scan', '--limit', '-3']), 'ERR_INVALID_ARGUMENT', 2);
    expectOneLineError(await run(['--dir', dir, 'get']), "missing required argument 'key'", 2);
    expectOneLineError(await run(['--dir', dir, 'gett', 'k']), "unknown command 'gett'", 2);
    expectOneLineError(await run(['--dir', path.join(base, 'nothing-here'), 'get', 'k']), 'ERR_NO_STORE');
    const file = path.join(base, 'a-file');
    await fs.writeFile(file, 'x');
    expectOneLineError(await run(['--dir', file, 'put', 'k', 'v']), 'ERR_BAD_DIR');
    expect((await run(['--dir', dir, 'get', 'k'])).stdout).toBe('v\n');
  });

  it('refuses writes to a store another process holds, but reads it', async () => {
    const dir = path.join(base, 'locked');
    const holder = await KvStore.open({ dir });
    try {
      await holder.put('held', 'value');
      const result = await run(['--dir', dir, 'put', 'k', 'v']);
      expectOneLineError(result, 'ERR_LOCKED');
      expect(result.stderr).toContain(`pid ${process.pid}`);
      expectOneLineError(await run(['--dir', dir, 'del', 'held']), 'ERR_LOCKED');
      // Read commands open read-only (no lock) and see the holder's acknowledged writes.
      expect(await run(['--dir', dir, 'get', 'held'])).toMatchObject({ code: 0, stdout: 'value\n', stderr: '' });
      expect(await run(['--dir', dir, 'scan'])).toMatchObject({ code: 0, stdout: 'held\tvalue\n' });
      expect((await run(['--dir', dir, 'stats'])).stdout).toMatch(/keys\s+1 live/);
    } finally {
      await holder.close();
    }
    expect((await run(['--dir', dir, 'put', 'k', 'v'])).code).toBe(0);
  });

  it('runs the demo: SIGKILL mid-workload, recovery, every acknowledged write verified', async () => {
    const dir = path.join(base, 'demo');
    const result = await run(['--dir', dir, 'demo', '--records', '5000', '--seed', '99']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/SIGKILL after [\d,]+ acknowledged operations/);
    const verified = /holds exactly the first ([\d,]+) operations \(([\d,]+) acknowledged \+ [\d,]+ in flight/.exec(result.stdout);
    expect(verified, result.stdout).not.toBeNull();
    const acked = Number((verified?.[2] ?? '0').replace(/,/g, ''));
    expect(acked).toBeGreaterThan(0);
    expect(Number((verified?.[1] ?? '0').replace(/,/g, ''))).toBeGreaterThanOrEqual(acked);
    expect(result.stdout).toContain('OK: every acknowledged write survived');
    // The store it leaves behind is a normal store.
    const stats = await run(['--dir', dir, 'stats']);
    expect(stats.code, stats.stderr).toBe(0);

    // A second run reuses (wipes) its own directory...
    expect((await run(['--dir', dir, 'demo', '--records', '2000', '--seed', '1'])).code).toBe(0);
    // ...but never a directory it did not create.
    const other = path.join(base, 'precious');
    expect((await run(['--dir', other, 'put', 'keep', 'me'])).code).toBe(0);
    expectOneLineError(await run(['--dir', other, 'demo', '--records', '2000']), 'ERR_BAD_DIR');
    expect((await run(['--dir', other, 'get', 'keep'])).stdout).toBe('me\n');
    expectOneLineError(await run(['--dir', other, 'demo', '--records', '10']), 'ERR_INVALID_ARGUMENT', 2);
  });
});
