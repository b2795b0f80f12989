import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext } from './context.js';
import { repoRoot } from './paths.js';
import { measurePair } from './result.js';

/** The BUILT packages (dist/, what users run) the whole-process benchmarks import. */
export const WAL_DIST = join(repoRoot, 'packages/wal/dist/index.js');
export const CODEC_DIST = join(repoRoot, 'packages/codec/dist/index.js');
export const CLI_DIST = join(repoRoot, 'packages/cli/dist/cli.js');

/** Prints the process's peak RSS in KiB as its last stdout line (process.resourceUsage). */
export const PRINT_MAX_RSS = 'process.stdout.write(`\\n${process.resourceUsage().maxRSS}\\n`);';

const KiB_PER_MiB = 1024;

/** One whole-process run: spawn to exit. */
export interface ProcessRun {
  ms: number;
  /** Peak RSS in MiB, when the process printed it (PRINT_MAX_RSS). */
  rssMiB: number | undefined;
}

/** `import ... from` text for a dist module, by absolute file URL. */
export function importFrom(names: string, file: string): string {
  return `import { ${names} } from ${JSON.stringify(pathToFileURL(file).href)};`;
}

/**
 * Environment variables that change how long every Node process takes to start, whatever it
 * runs: `NODE_EXTRA_CA_CERTS` makes Node parse a CA bundle at startup (~30 ms of `node -e 0` on
 * the development machine, where the shell sets it and turbo's task environment does not).
 * Children start without them, so a standalone run and `pnpm bench` measure the same thing.
 */
const STARTUP_ENV = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NODE_COMPILE_CACHE'];

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of STARTUP_ENV) delete env[name];
  return env;
}

/** Spawns `node ...args`, timing spawn to exit; rejects on a non-zero exit. */
export function runNode(args: readonly string[]): Promise<ProcessRun> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv() });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`node ${args.join(' ')} exited with ${String(code)}`));
        return;
      }
      const last = Number(stdout.trim().split('\n').at(-1));
      resolvePromise({ ms, rssMiB: Number.isFinite(last) ? last / KiB_PER_MiB : undefined });
    });
  });
}

/**
 * Runs `ours` and `baseline` processes alternately (measurePair: an unrecorded warm-up round,
 * then `ctx.settings.runs` pairs). Each side's arguments are built per run (e.g. a fresh directory).
 */
export async function timeProcesses(
  ctx: BenchContext,
  ours: () => readonly string[],
  baseline: () => readonly string[],
): Promise<{ ours: ProcessRun[]; baseline: ProcessRun[] }> {
  const baselineRuns: ProcessRun[] = [];
  const pair = await measurePair(
    ctx.settings.runs,
    () => runNode(ours()),
    async () => {
      const run = await runNode(baseline());
      baselineRuns.push(run);
      return run.ms;
    },
  );
  // measurePair's warm-up round is not recorded: drop its baseline run too.
  return { ours: pair.ours, baseline: baselineRuns.slice(-pair.baseline.length) };
}
