import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GOLDEN_DIR, TempDirs, type GoldenRecord } from '@nori/test-support';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

const scratch = new TempDirs('nori-cli-');

/** A fresh temporary directory, removed by {@link cleanupScratch}. */
export function scratchDir(prefix = 'nori-cli-'): Promise<string> {
  return scratch.make(prefix);
}

/** Copies golden case `name` to a temporary directory and returns the copy's path. */
export async function copyGolden(name: string): Promise<string> {
  const dir = join(await scratchDir(), name);
  await cp(join(GOLDEN_DIR, name), dir, { recursive: true });
  return dir;
}

/** Removes every directory {@link scratchDir} made. */
export function cleanupScratch(): Promise<void> {
  return scratch.cleanupAll();
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `nori-wal` binary. */
export function runBin(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NORI_DEBUG: '', ...options.env },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

export interface FileSnapshot {
  name: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** Runs the built CLI and parses its `--json` stdout; a failure message carries the exit code and stderr. */
export async function runJson<T>(args: readonly string[]): Promise<T> {
  const run = await runBin(args);
  try {
    return JSON.parse(run.stdout) as T;
  } catch (error) {
    throw new Error(`nori-wal ${args.join(' ')} exited ${String(run.code)} without JSON on stdout; stderr: ${run.stderr}`, { cause: error });
  }
}

/** Every file under `dir` (recursive) with size, mtime and content hash, sorted by name. */
export async function snapshot(dir: string, prefix = ''): Promise<FileSnapshot[]> {
  const out: FileSnapshot[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      out.push(...(await snapshot(dir, name)));
      continue;
    }
    const path = join(dir, name);
    const info = await stat(path);
    const sha256 = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    out.push({ name, size: info.size, mtimeMs: info.mtimeMs, sha256 });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Manifest positions as `seg:offset` strings. */
export function positionOf(record: GoldenRecord): string {
  return `${record.position.segment_id}:${record.position.offset}`;
}
