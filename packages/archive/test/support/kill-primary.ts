import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { S3ObjectStoreConfig } from '../../src/index.js';

/** The package directory (children run there so `--import tsx` resolves). */
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL('./remote-durable-child.ts', import.meta.url));

/** A loaded primary process waiting for `go`. */
export interface PrimaryChild {
  process: ChildProcess;
  events: string;
  /** Resolves at `ready` (true) or when the child exits first (false). */
  ready: Promise<boolean>;
  /** Resolves at `acked` (its first remote-durable append resolved; true) or at exit (false). */
  acked: Promise<boolean>;
  exited: Promise<void>;
  stderr: string[];
}

const live = new Set<ChildProcess>();

/** SIGKILLs every child still running (afterAll). */
export function killAllPrimaries(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** Spawns a primary child (it loads, then waits for {@link startPrimary}). */
export function spawnPrimary(config: S3ObjectStoreConfig, storePrefix: string, events: string): PrimaryChild {
  const child = spawn(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', CHILD_SCRIPT, JSON.stringify(config), storePrefix, events], {
    cwd: PACKAGE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  const stderr: string[] = [];
  child.stderr?.on('data', (data: Buffer) => stderr.push(data.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const announced = (word: string): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      lines.on('line', (line) => {
        if (line === word) resolve(true);
      });
      void exited.then(() => resolve(false));
    });
  return { process: child, events, ready: announced('ready'), acked: announced('acked'), exited, stderr };
}

/** Tells a loaded child to open `dir` and append remote-durably (ids from `firstId`). */
export function startPrimary(child: PrimaryChild, go: { dir: string; firstId: number; seed: number; workers: number; prefix: string }): void {
  child.process.stdin?.write(`go ${go.dir} ${go.firstId} ${go.seed} ${go.workers} ${go.prefix}\n`);
}

/** What a killed primary reported. */
export interface PrimaryEvents {
  submitted: number[];
  acknowledged: number[];
  errors: string[];
}

/** Parses a child's events file. */
export async function readPrimaryEvents(path: string): Promise<PrimaryEvents> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const result: PrimaryEvents = { submitted: [], acknowledged: [], errors: [] };
  for (const line of text.split('\n')) {
    const [word, value] = line.split(' ');
    if (word === 's') result.submitted.push(Number(value));
    else if (word === 'a') result.acknowledged.push(Number(value));
    else if (word === 'e') result.errors.push(line);
  }
  return result;
}

/** The events file of round `round` (a label) under `root`. */
export function eventsPath(root: string, round: string): string {
  return join(root, `events-${round}.txt`);
}
