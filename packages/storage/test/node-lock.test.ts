import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeFileStorage, type StorageError } from '../src/index.js';
import { processStartTime } from '../src/node/process-identity.js';
import { threadTag } from '../src/node/lock.js';
import { codeOf } from '@nori/test-support';

const DEAD_PID = 2_147_483_600;
let root: string;
let storage: NodeFileStorage;

function writeLock(name: string, record: Record<string, unknown> | string): void {
  fs.writeFileSync(path.join(root, name), typeof record === 'string' ? record : JSON.stringify(record));
}

function record(overrides: Record<string, unknown>): Record<string, unknown> {
  return { pid: DEAD_PID, hostname: os.hostname(), acquiredAt: '2020-01-01T00:00:00.000Z', nonce: 'old', ...overrides };
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-lock-'));
  storage = new NodeFileStorage(root);
});

afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('NodeFileStorage lock file', () => {
  it('records pid, host, time, process start time and boot id', async () => {
    const lock = await storage.lock();
    const onDisk = JSON.parse(fs.readFileSync(path.join(root, 'LOCK'), 'utf8')) as Record<string, unknown>;
    expect(onDisk.pid).toBe(process.pid);
    expect(onDisk.hostname).toBe(os.hostname());
    expect(onDisk.acquiredAt).toBe(lock.info.acquiredAt);
    expect(onDisk.startTime).toBe(processStartTime(process.pid));
    expect(typeof onDisk.nonce).toBe('string');
    await lock.release();
  });

  it('takes over a lock whose process is gone', async () => {
    writeLock('LOCK', record({}));
    expect((await storage.readLock())?.pid).toBe(DEAD_PID);
    const lock = await storage.lock();
    expect((await storage.readLock())?.nonce).toBe(lock.info.nonce);
    await lock.release();
  });

  it('takes over a lock whose pid was reused by another process (start time differs)', async () => {
    writeLock('LOCK', record({ pid: process.pid, startTime: '1' }));
    const lock = await storage.lock();
    await lock.release();
  });

  it('takes over a lock from an earlier boot', async () => {
    writeLock('LOCK', record({ pid: process.pid, startTime: processStartTime(process.pid), bootId: 'another-boot' }));
    const lock = await storage.lock();
    await lock.release();
  });

  it('respects a lock of a live process with the same start time', async () => {
    writeLock('LOCK', record({ pid: process.pid, startTime: processStartTime(process.pid) }));
    expect(await codeOf(() => storage.lock())).toBe('ERR_LOCKED');
  });

  it('never takes over a lock of another host', async () => {
    writeLock('LOCK', record({ hostname: `not-${os.hostname()}` }));
    let message = '';
    try {
      await storage.lock();
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code?: string }).code).toBe('ERR_LOCKED');
    }
    expect(message).toContain(`not-${os.hostname()}`);
  });

  it('treats an unparsable lock file as stale', async () => {
    writeLock('LOCK', '');
    expect(await storage.readLock()).toBeUndefined();
    const lock = await storage.lock();
    await lock.release();
  });

  it('takes over a stale takeover marker left by a killed contender', async () => {
    writeLock('LOCK', record({ nonce: 'n1' }));
    writeLock('LOCK.takeover-n1', record({ nonce: 'n2', pid: DEAD_PID - 1 }));
    const lock = await storage.lock();
    expect(fs.readdirSync(root)).toEqual(['LOCK']);
    await lock.release();
  });

  it('backs off while a live contender holds the takeover marker', async () => {
    writeLock('LOCK', record({ nonce: 'n1' }));
    writeLock('LOCK.takeover-n1', record({ nonce: 'n2', pid: process.pid, startTime: processStartTime(process.pid) }));
    expect(await codeOf(() => storage.lock())).toBe('ERR_LOCKED');
    expect((JSON.parse(fs.readFileSync(path.join(root, 'LOCK'), 'utf8')) as { nonce?: unknown }).nonce).toBe('n1');
  });

  it('cleans leftovers of dead processes and keeps those of live ones', async () => {
    writeLock(`LOCK.tmp-${String(DEAD_PID)}-abc`, 'x');
    writeLock(`LOCK.tmp-${String(process.pid)}-abc`, 'x');
    writeLock('LOCK.takeover-zzz', 'x');
    const lock = await storage.lock();
    expect(fs.readdirSync(root).sort()).toEqual(['LOCK', `LOCK.tmp-${String(process.pid)}-abc`]);
    expect(await storage.list()).toEqual([]);
    await lock.release();
  });

  it('a lock failing on a full disk leaves no temporary file behind (issue 12)', async () => {
    const realWrite = fs.writeFileSync.bind(fs);
    // What a full disk does: the create succeeds, the write fails.
    vi.spyOn(fs, 'writeFileSync').mockImplementation((file, _data, options) => {
      realWrite(file, '', options);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    });
    const caught = await storage.lock().catch((error: unknown) => error);
    expect((caught as StorageError).code).toBe('ENOSPC');
    expect((caught as StorageError).name).toBe('StorageError');
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('removes stale temporary files of this thread and old ones of live pids before locking', async () => {
    const own = `LOCK.tmp-${String(process.pid)}-${threadTag()}-abc`;
    const oldOfLivePid = 'LOCK.tmp-1-0-abc';
    const freshOfLivePid = 'LOCK.tmp-1-0-def';
    for (const name of [own, oldOfLivePid, freshOfLivePid]) writeLock(name, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(path.join(root, oldOfLivePid), hourAgo, hourAgo);
    // Stale temps go even when the lock itself is not available.
    writeLock('LOCK', record({ pid: process.pid, startTime: processStartTime(process.pid) }));
    expect(await codeOf(() => storage.lock())).toBe('ERR_LOCKED');
    expect(fs.readdirSync(root).sort()).toEqual(['LOCK', freshOfLivePid]);
  });

  it('release leaves a lock file that is no longer its own', async () => {
    const lock = await storage.lock();
    writeLock('LOCK', record({ nonce: 'someone-else' }));
    await lock.release();
    expect(fs.existsSync(path.join(root, 'LOCK'))).toBe(true);
  });

  it('creates a missing root on lock and reports no holder for a missing root', async () => {
    const nested = new NodeFileStorage(path.join(root, 'x', 'y'));
    expect(await nested.readLock()).toBeUndefined();
    const lock = await nested.lock();
    expect(fs.existsSync(path.join(root, 'x', 'y', 'LOCK'))).toBe(true);
    await lock.release();
  });

  it('works on filesystems without hard links (O_EXCL fallback)', async () => {
    const link = vi.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    });
    const lock = await storage.lock();
    expect(link).toHaveBeenCalled();
    expect((await storage.readLock())?.nonce).toBe(lock.info.nonce);
    expect(await codeOf(() => new NodeFileStorage(root).lock())).toBe('ERR_LOCKED');
    await lock.release();
    writeLock('LOCK', record({}));
    const takeover = await storage.lock();
    expect(fs.readdirSync(root)).toEqual(['LOCK']);
    await takeover.release();
  });
});
