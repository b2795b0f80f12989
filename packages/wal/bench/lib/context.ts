import type { BenchSettings } from './settings.js';
import type { RunBudget } from './raw.js';

/** What every workload group gets from run.ts. */
export interface BenchContext {
  readonly settings: BenchSettings;
  /** Parent dir for temp logs (same filesystem as the repository). */
  readonly tempParent: string;
  /** Progress output (one line per figure). */
  readonly log: (line: string) => void;
}

/** The time/bytes budget of one run of a rate workload. */
export function runBudget(ctx: BenchContext): RunBudget {
  return { ms: ctx.settings.runMs, maxBytes: ctx.settings.runMaxBytes };
}

/**
 * Calls `step` until the budget is spent (time checked every `checkEvery` calls, bytes counted
 * as `bytesPerStep` per call) and returns how many calls were made in how many ms.
 */
export async function runFor(
  budget: RunBudget,
  bytesPerStep: number,
  checkEvery: number,
  step: () => Promise<unknown>,
): Promise<{ units: number; bytes: number; ms: number }> {
  let units = 0;
  let bytes = 0;
  const start = performance.now();
  const deadline = start + budget.ms;
  for (;;) {
    await step();
    units++;
    bytes += bytesPerStep;
    if (units % checkEvery === 0 && (bytes >= budget.maxBytes || performance.now() >= deadline)) break;
  }
  return { units, bytes, ms: performance.now() - start };
}
