// Whole-process benchmarks: what a CLI call, a serverless function or a test worker pays before
// its first record. Each run is a fresh `node` on the BUILT packages (dist/, what users run),
// alternated with `node -e 0` in the same run; figures are medians, goals are ratios.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import { withTempDir } from './lib/paths.js';
import { CLI_DIST, importFrom, PRINT_MAX_RSS, timeProcesses, WAL_DIST } from './lib/process-run.js';
import { describe, toResult, type BenchResult, type Goal } from './lib/result.js';

/** Goals of the cold-start issue: wall time relative to `node -e 0`, and extra peak RSS. */
const OPEN_RATIO_GOAL = 1.3;
const CLI_RATIO_GOAL = 1.5;
const EXTRA_RSS_GOAL_MIB = 12;
/** The baseline process: `node -e 0` that also prints its peak RSS. */
const NODE_E_0 = ['-e', PRINT_MAX_RSS] as const;

function ratioAtMost(threshold: number): Goal {
  return { text: `ratio <= ${threshold}x`, met: (_value, ratio) => ratio <= threshold };
}

/** `value - baseline <= threshold` (baseline recovered from the ratio). */
function extraAtMost(threshold: number, unit: string): Goal {
  return { text: `<= baseline + ${threshold} ${unit}`, met: (value, ratio) => value - value / ratio <= threshold };
}

/** A child that imports @nori/wal, opens a small log, appends one record, closes, prints its RSS. */
function openScript(dir: string): string {
  return [
    importFrom('Wal', WAL_DIST),
    `const { wal } = await Wal.open({ dir: ${JSON.stringify(dir)}, maxSegmentSize: 1024 * 1024 });`,
    `await wal.append({ key: 'k', value: 'v' });`,
    `await wal.close();`,
    PRINT_MAX_RSS,
  ].join('\n');
}

/** Cold start of a process using @nori/wal, and of the nori-wal CLI (when built). */
export async function coldStartBenchmarks(ctx: BenchContext): Promise<BenchResult[]> {
  if (!existsSync(WAL_DIST)) throw new Error(`${WAL_DIST} is missing: run pnpm build first`);
  const results: BenchResult[] = [];
  const add = (result: BenchResult): void => {
    results.push(result);
    ctx.log(describe(result));
  };
  await withTempDir(ctx.tempParent, async (tmp) => {
    const script = join(tmp, 'open-append-close.mjs');
    await writeFile(script, openScript(join(tmp, 'log')));
    const open = await timeProcesses(
      ctx,
      () => [script],
      () => NODE_E_0,
    );
    const baselineName = 'node -e 0';
    add(
      toResult({
        name: 'cold start: import @nori/wal, open, append 1 record, close (dist)',
        unit: 'ms',
        runs: open.ours.map((r) => r.ms),
        baselineName,
        baselineRuns: open.baseline.map((r) => r.ms),
        goal: ratioAtMost(OPEN_RATIO_GOAL),
        lowerIsBetter: true,
      }),
    );
    add(
      toResult({
        name: 'cold start: peak RSS of that process',
        unit: 'MiB',
        runs: open.ours.map((r) => r.rssMiB ?? Number.NaN),
        baselineName,
        baselineRuns: open.baseline.map((r) => r.rssMiB ?? Number.NaN),
        goal: extraAtMost(EXTRA_RSS_GOAL_MIB, 'MiB'),
        lowerIsBetter: true,
      }),
    );
    if (!existsSync(CLI_DIST)) {
      ctx.log(`skipped the nori-wal figures: ${CLI_DIST} is missing (pnpm build)`);
      return;
    }
    for (const [label, args] of [
      ['nori-wal --version', ['--version']],
      ['nori-wal verify of that 1-record log', ['verify', join(tmp, 'log')]],
    ] as const) {
      const cli = await timeProcesses(
        ctx,
        () => [CLI_DIST, ...args],
        () => NODE_E_0,
      );
      add(
        toResult({
          name: `cold start: ${label} (dist)`,
          unit: 'ms',
          runs: cli.ours.map((r) => r.ms),
          baselineName,
          baselineRuns: cli.baseline.map((r) => r.ms),
          goal: ratioAtMost(CLI_RATIO_GOAL),
          lowerIsBetter: true,
        }),
      );
    }
  });
  return results;
}
