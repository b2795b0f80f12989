/**
 * Support of the real-fault tests: real full file systems (tmpfs, loop-mounted ext4), an
 * LD_PRELOAD shim that fails fsync/fdatasync/write on chosen paths, and child processes that run
 * a WAL so that a fault can never wedge the test worker. Everything mounted is unmounted in
 * `afterAll` (also when a test fails), and mounts left by a crashed earlier run are cleaned first.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import type { Position } from '../../src/index.js';

/** Where every mount point and image of these tests lives: `<pid>-<label>` below it. */
export const REAL_FAULTS_ROOT = path.join(os.tmpdir(), 'nori-real-faults');
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL('./fault-child.ts', import.meta.url));
const SHIM_SOURCE = fileURLToPath(new URL('./fault-shim.c', import.meta.url));
/** A child that neither finishes nor fails within this is killed (a wedged fsync, a bug). */
const CHILD_TIMEOUT_MS = 30_000;

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why real-fault tests cannot run here, or `undefined` when they can. */
export function whyUnavailable(needs: { mount?: boolean; ext4?: boolean; gcc?: boolean }): string | undefined {
  if (process.platform !== 'linux') return `needs Linux, this is ${process.platform}`;
  if (needs.mount === true && process.getuid?.() !== 0) return 'needs root to mount file systems';
  if (needs.mount === true && !hasCommand('mount')) return 'needs mount(8)';
  if (needs.ext4 === true && !hasCommand('mkfs.ext4')) return 'needs mkfs.ext4 (Debian package e2fsprogs)';
  if (needs.gcc === true && !hasCommand('gcc')) return 'needs gcc to build the LD_PRELOAD fault shim';
  return undefined;
}

/**
 * `describe` for tests that need real faults. When they cannot run: in CI (`CI` set) a failing
 * test says why (CI must run them); locally the block is skipped with the reason printed.
 */
export function describeRealFaults(name: string, needs: Parameters<typeof whyUnavailable>[0], body: () => void): void {
  const reason = whyUnavailable(needs);
  if (reason === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
    describe(name, () => {
      it('can run the real-fault tests (required in CI)', () => {
        throw new Error(`real-fault tests cannot run: ${reason}`);
      });
    });
    return;
  }
  console.warn(`[real-faults] skipping "${name}" locally: ${reason}`);
  describe.skip(name, body);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Mount points currently mounted below `REAL_FAULTS_ROOT` (from /proc/self/mounts). */
export function mountsBelowRoot(): string[] {
  const decode = (field: string): string => field.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  return fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => decode(line.split(' ')[1] ?? ''))
    .filter((mountPoint) => mountPoint.startsWith(`${REAL_FAULTS_ROOT}/`));
}

function unmount(mountPoint: string): void {
  try {
    execFileSync('umount', [mountPoint], { stdio: 'pipe' });
  } catch {
    // Busy (a killed child's descriptors not yet closed): detach now, the kernel frees it later.
    execFileSync('umount', ['-l', mountPoint], { stdio: 'pipe' });
  }
}

function ownerPid(name: string): number {
  return Number(name.split('-')[0]);
}

/** Unmounts and deletes what runs of processes that no longer exist left behind. */
export function cleanStaleMounts(): void {
  fs.mkdirSync(REAL_FAULTS_ROOT, { recursive: true });
  for (const mountPoint of mountsBelowRoot()) {
    const name = path.relative(REAL_FAULTS_ROOT, mountPoint).split(path.sep)[0] ?? '';
    if (!processAlive(ownerPid(name))) unmount(mountPoint);
  }
  const stillMounted = new Set(mountsBelowRoot());
  for (const name of fs.readdirSync(REAL_FAULTS_ROOT)) {
    const full = path.join(REAL_FAULTS_ROOT, name);
    if (!processAlive(ownerPid(name)) && !stillMounted.has(full)) fs.rmSync(full, { recursive: true, force: true });
  }
}

/** A mounted file system; `dir` is its root. */
export interface Mounted {
  dir: string;
  kind: 'tmpfs' | 'ext4';
  /** Unmounts (idempotent) and removes the mount point and image. */
  unmount(): void;
}

const mounted = new Set<Mounted>();
let counter = 0;

/** Registers an `afterAll` that unmounts whatever the file's tests mounted. Call once per file. */
export function useMounts(): void {
  afterAll(() => {
    for (const m of [...mounted]) m.unmount();
  });
}

function newMountPoint(label: string): string {
  cleanStaleMounts();
  counter += 1;
  const dir = path.join(REAL_FAULTS_ROOT, `${String(process.pid)}-${String(counter)}-${label}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function track(dir: string, kind: Mounted['kind'], image: string | undefined): Mounted {
  let done = false;
  const m: Mounted = {
    dir,
    kind,
    unmount: () => {
      if (done) return;
      done = true;
      mounted.delete(m);
      if (mountsBelowRoot().includes(dir)) unmount(dir);
      fs.rmSync(dir, { recursive: true, force: true });
      if (image !== undefined) fs.rmSync(image, { force: true });
    },
  };
  mounted.add(m);
  return m;
}

/** Mounts a tmpfs of `bytes` (it fills for real: `ENOSPC` at `write`). */
export function mountTmpfs(bytes: number): Mounted {
  const dir = newMountPoint('tmpfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${String(bytes)}`, 'tmpfs', dir], { stdio: 'pipe' });
  return track(dir, 'tmpfs', undefined);
}

/** Makes an ext4 image of `megabytes` and loop-mounts it (the loop device is auto-cleared at unmount). */
export function mountExt4(megabytes: number): Mounted {
  const dir = newMountPoint('ext4');
  const image = `${dir}.img`;
  fs.writeFileSync(image, '');
  fs.truncateSync(image, megabytes * 1024 * 1024);
  execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' });
  try {
    execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' });
  } catch (error) {
    fs.rmSync(image, { force: true });
    throw error;
  }
  return track(dir, 'ext4', image);
}

const FILL_CHUNK = 64 * 1024;
const FILL_ZEROS = Buffer.alloc(FILL_CHUNK, 0x5a);

/** Appends `size` bytes unless that would leave less than `leave` free; false once it cannot. */
function writeChunk(fd: number, dir: string, size: number, leave: number): boolean {
  if (leave > 0) {
    const stats = fs.statfsSync(dir);
    if (stats.bfree * stats.bsize - leave < size) return false;
  }
  try {
    fs.writeSync(fd, FILL_ZEROS, 0, size);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOSPC') return false;
    throw error;
  }
}

/**
 * Writes `name` in `dir` until only about `leaveBytes` remain free (root may use the reserved
 * blocks, so they count as free), or until not one more byte fits when `leaveBytes` is 0.
 */
export function fill(dir: string, name: string, leaveBytes: number): string {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'a');
  const smallest = leaveBytes > 0 ? 4096 : 1;
  try {
    for (let size = FILL_CHUNK; size >= smallest; size = Math.floor(size / 16)) {
      while (writeChunk(fd, dir, size, leaveBytes));
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

/** Builds the LD_PRELOAD fault shim into `dir`; returns the `.so` path. */
export function buildShim(dir: string): string {
  const out = path.join(dir, 'nori-fault-shim.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', out, SHIM_SOURCE, '-ldl'], { stdio: 'pipe' });
  return out;
}

/** Which calls the shim fails, where and when. */
export interface ShimFault {
  so: string;
  /** `fsync`, `fdatasync`, `write` (covers write/pwrite/writev/pwritev). */
  ops: readonly ('fsync' | 'fdatasync' | 'write')[];
  /** Calls only logged, never failed. */
  trace?: readonly ('fsync' | 'fdatasync' | 'write')[];
  /** Substring of the descriptor's path. */
  path: string;
  /** The fault is armed while this file exists (the child creates it at the chosen moment). */
  arm: string;
  /** Every call on a matching path is logged here: `<op> <ok|fail> <path>`. */
  log: string;
}

/** What the child does; see fault-child.ts. */
export interface ChildPlan {
  dir: string;
  policy: 'always' | 'batch' | 'os';
  /** Batch window (batch policy only). */
  windowMs?: number;
  maxSegmentSize: number;
  valueSize: number;
  /** Stop after this many acknowledged records (or at the first failure). */
  maxRecords: number;
  /** Create `arm` (arming the shim) just before appending record number `armAt`. */
  armAt?: number;
  arm?: string;
}

/** One line the child printed. */
export type ChildEvent =
  | { t: 'ready' }
  | { t: 'ack'; i: number; position: Position }
  | { t: 'error'; i: number; code: string; causeCode?: string; causeSyscall?: string; message: string }
  | { t: 'after'; code: string }
  | { t: 'state'; state: string; durable: Position; written: Position }
  | { t: 'close'; ok: boolean; code?: string; durable: Position }
  | { t: 'open-failed'; code: string; causeCode?: string; message: string }
  | { t: 'done' };

/** The child's report. */
export interface ChildResult {
  events: ChildEvent[];
  acked: { i: number; position: Position }[];
  error: Extract<ChildEvent, { t: 'error' }> | undefined;
  state: Extract<ChildEvent, { t: 'state' }> | undefined;
  close: Extract<ChildEvent, { t: 'close' }> | undefined;
  after: Extract<ChildEvent, { t: 'after' }> | undefined;
  stderr: string;
}

/** A running fault-child.ts: send it plans one at a time (a child costs seconds to start on a busy machine). */
export interface FaultChild {
  /** Runs one plan in the child and collects what it reported. */
  run(plan: ChildPlan): Promise<ChildResult>;
  /** Ends the child (idempotent); it is SIGKILLed if it does not exit at once. */
  stop(): Promise<void>;
}

const children = new Set<FaultChild>();

/** Registers an `afterAll` that stops every child the file started. Call once per file. */
export function useChildren(): void {
  afterAll(async () => {
    for (const child of [...children]) await child.stop();
  });
}

function parseEvents(lines: readonly string[]): ChildEvent[] {
  return lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as ChildEvent);
}

function toResult(events: ChildEvent[], stderr: string): ChildResult {
  const find = <T extends ChildEvent['t']>(t: T) => events.find((e): e is Extract<ChildEvent, { t: T }> => e.t === t);
  return {
    events,
    acked: events.filter((e): e is Extract<ChildEvent, { t: 'ack' }> => e.t === 'ack').map(({ i, position }) => ({ i, position })),
    error: find('error'),
    state: find('state'),
    close: find('close'),
    after: find('after'),
    stderr,
  };
}

/** Starts fault-child.ts, with the fault shim preloaded when `shim` is given. */
export function startChild(shim?: ShimFault): FaultChild {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (shim !== undefined) {
    Object.assign(env, {
      LD_PRELOAD: shim.so,
      NORI_FAULT_OPS: shim.ops.join(','),
      NORI_FAULT_TRACE: (shim.trace ?? []).join(','),
      NORI_FAULT_PATH: shim.path,
      NORI_FAULT_ARM: shim.arm,
      NORI_FAULT_LOG: shim.log,
    });
  }
  const child = spawn(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', CHILD_SCRIPT], {
    cwd: PACKAGE_DIR,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buffered = '';
  let stderr = '';
  let lines: string[] = [];
  let waiter: ((done: boolean) => void) | undefined;
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    if (parts.some((line) => line.includes('"t":"done"'))) waiter?.(true);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  void exited.then(() => waiter?.(false));
  const handle: FaultChild = {
    run: async (plan) => {
      lines = [];
      stderr = '';
      const finished = new Promise<boolean>((resolve) => (waiter = resolve));
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
      child.stdin.write(`${JSON.stringify(plan)}\n`);
      const done = await finished;
      clearTimeout(timer);
      waiter = undefined;
      if (!done) throw new Error(`fault child died (exit ${String(child.exitCode)}, ${String(child.signalCode)}): ${stderr}`);
      return toResult(parseEvents(lines), stderr);
    },
    stop: async () => {
      children.delete(handle);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(handle);
  return handle;
}

/** Names of `LOCK.tmp-*` files in `dir`. */
export function lockTemps(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.startsWith('LOCK.tmp-'));
}

/** The shim's log lines as `{ op, failed, path }`. */
export function shimLog(file: string): { op: string; failed: boolean; path: string }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [op = '', verdict = '', ...rest] = line.split(' ');
      return { op, failed: verdict === 'fail', path: rest.join(' ') };
    });
}
