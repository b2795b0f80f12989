import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = fileURLToPath(new URL('../../../testdata/golden/nori-wal-rust/', import.meta.url));
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface ManifestRecord {
  index: number;
  key_hex: string;
  value_hex: string;
  tombstone: boolean;
  ttl_ms: number | string | null;
  compression: 'none' | 'lz4' | 'zstd';
  position: { segment_id: number; offset: number };
  encoded_len: number;
}

export interface ManifestCase {
  dir: string;
  records: ManifestRecord[];
  files: { name: string; size: number }[];
  post_processing: Record<string, unknown> | null;
  rust_recovery: {
    read_back_count: number;
    recovery_info: { last_valid_position: { segment_id: number; offset: number }; bytes_truncated: number; valid_records: number };
  };
}

let manifest: Map<string, ManifestCase> | undefined;

/** The golden manifest case `name` (parsed once; the file is 4 MB). */
export async function goldenCase(name: string): Promise<ManifestCase> {
  if (manifest === undefined) {
    const raw = await readFile(join(GOLDEN_DIR, 'manifest.json'), 'utf8');
    // ttl_ms may exceed 2^53: keep big integers as strings.
    const fixed = raw.replace(/"ttl_ms":\s*(\d{16,})/g, '"ttl_ms": "$1"');
    const parsed = JSON.parse(fixed) as { cases: ManifestCase[] };
    manifest = new Map(parsed.cases.map((entry) => [entry.dir, entry]));
  }
  const found = manifest.get(name);
  if (found === undefined) throw new Error(`no golden case ${name}`);
  return found;
}

const scratch: string[] = [];

/** A fresh temporary directory, removed by {@link cleanupScratch}. */
export async function scratchDir(prefix = 'nori-cli-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Copies golden case `name` to a temporary directory and returns the copy's path. */
export async function copyGolden(name: string): Promise<string> {
  const dir = join(await scratchDir(), name);
  await cp(join(GOLDEN_DIR, name), dir, { recursive: true });
  return dir;
}

export async function cleanupScratch(): Promise<void> {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
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
    const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
    out.push({ name, size: info.size, mtimeMs: info.mtimeMs, sha256 });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Manifest positions as `seg:offset` strings. */
export function positionOf(record: ManifestRecord): string {
  return `${record.position.segment_id}:${record.position.offset}`;
}
