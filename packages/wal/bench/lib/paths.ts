import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The monorepo root (packages/wal/bench/lib -> ../../../..). */
export const repoRoot = resolve(import.meta.dirname, '../../../..');

/** `<repo>/.bench-results`, where every package writes its JSON (gitignored). */
export const resultsDir = join(repoRoot, '.bench-results');

/** Where benchmark logs live and whether that is the filesystem the repository is on. */
export interface TempLocation {
  readonly parent: string;
  readonly sameFilesystemAsRepo: boolean;
  /** e.g. `ext4 /dev/vda`, from findmnt when available. */
  readonly filesystem: string;
}

function describeFilesystem(path: string): string {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', path], { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');
  } catch {
    return 'unknown';
  }
}

/**
 * Picks the parent directory for temp logs: `os.tmpdir()` when it is on the same filesystem as
 * the repository (same device number), else `<repo>/.bench-results/tmp`, so WAL and baselines
 * always hit the disk the repository is on.
 */
export function pickTempLocation(): TempLocation {
  const osTmp = tmpdir();
  const same = statSync(osTmp).dev === statSync(repoRoot).dev;
  const parent = same ? osTmp : join(resultsDir, 'tmp');
  mkdirSync(parent, { recursive: true });
  return { parent, sameFilesystemAsRepo: same, filesystem: describeFilesystem(parent) };
}

const liveDirs = new Set<string>();
let signalsHooked = false;

/** On Ctrl-C or SIGTERM, remove the temp dirs still in use (large logs) before exiting. */
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
      process.exit(code);
    });
  }
}

/**
 * Creates a fresh temp dir under `parent`, runs `fn` in it and always removes it afterwards
 * (also when the run is interrupted with Ctrl-C or SIGTERM).
 */
export async function withTempDir<T>(parent: string, fn: (dir: string) => Promise<T>): Promise<T> {
  hookSignals();
  const dir = mkdtempSync(join(parent, 'nori-bench-'));
  liveDirs.add(dir);
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  }
}
