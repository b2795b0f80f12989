import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeFileStorage } from '../src/index.js';
import { codeOf } from '@nori/test-support';

const FIXTURE = fileURLToPath(new URL('./fixtures/lock-child.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const DEAD_PID = 2_147_483_600;

interface Child {
  process: ChildProcessWithoutNullStreams;
  nextLine(): Promise<string>;
  exited: Promise<number | null>;
}

const children: Child[] = [];

function startChild(root: string, mode: 'hold' | 'try' | 'race'): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, root, mode], { cwd: PACKAGE_DIR });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const handle: Child = {
    process: child,
    exited,
    async nextLine() {
      const next = await lines.next();
      if (next.done === true) throw new Error(`child exited without output: ${stderr}`);
      return next.value;
    },
  };
  children.push(handle);
  return handle;
}

async function status(child: Child): Promise<{ status: string; info?: { pid: number } }> {
  return JSON.parse(await child.nextLine()) as { status: string; info?: { pid: number } };
}

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-lock-'));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await child.exited;
  }
  fs.rmSync(root, { recursive: true, force: true });
});

describe('NodeFileStorage lock across processes', () => {
  it('a live holder blocks this process and another one; after SIGKILL the next lock succeeds', async () => {
    const holder = startChild(root, 'hold');
    const held = await status(holder);
    expect(held.status).toBe('locked');
    expect(held.info?.pid).toBe(holder.process.pid);

    const storage = new NodeFileStorage(root);
    expect((await storage.readLock())?.pid).toBe(holder.process.pid);
    expect(await codeOf(() => storage.lock())).toBe('ERR_LOCKED');

    const other = startChild(root, 'try');
    expect((await status(other)).status).toBe('ERR_LOCKED');
    expect(await other.exited).toBe(0);

    holder.process.kill('SIGKILL');
    await holder.exited;
    expect((await storage.readLock())?.pid).toBe(holder.process.pid);

    const lock = await storage.lock();
    expect(lock.info.pid).toBe(process.pid);
    expect((await storage.readLock())?.pid).toBe(process.pid);
    expect(fs.readdirSync(root)).toEqual(['LOCK']);

    const late = startChild(root, 'try');
    expect((await status(late)).status).toBe('ERR_LOCKED');
    await lock.release();
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('exactly one of several simultaneous contenders takes over a stale lock', async () => {
    fs.writeFileSync(
      path.join(root, 'LOCK'),
      JSON.stringify({ pid: DEAD_PID, hostname: os.hostname(), acquiredAt: new Date(0).toISOString(), nonce: 'stale' }),
    );
    const racers = [0, 1, 2, 3].map(() => startChild(root, 'race'));
    for (const racer of racers) expect(await racer.nextLine()).toBe('ready');
    for (const racer of racers) racer.process.stdin.write('go\n');
    const outcomes = await Promise.all(racers.map(status));
    const winners = outcomes.filter((o) => o.status === 'locked');
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'ERR_LOCKED')).toHaveLength(racers.length - 1);
    const storage = new NodeFileStorage(root);
    expect((await storage.readLock())?.pid).toBe(winners[0]?.info?.pid);
    for (const racer of racers) racer.process.stdin.end();
    await Promise.all(racers.map((r) => r.exited));
    const lock = await storage.lock();
    await lock.release();
    expect(fs.readdirSync(root)).toEqual([]);
  });
});
