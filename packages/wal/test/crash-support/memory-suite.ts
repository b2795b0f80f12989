import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { formatFailure, runCampaign, runCrashCase, type CaseOptions } from './campaign.js';

/** Steps between crashes in CI: short workloads, many crash points. */
export const CI_MAX_STEPS = 70;

/**
 * Registers one CI slice of the randomized MemoryStorage crash campaign: cases with seeds from
 * `firstSeed` until `points` crash points ran (env `NORI_CRASH_POINTS` overrides). With
 * `NORI_CRASH_SEED=<seed>` only that case runs (replay; `NORI_CRASH_TRACE=1` prints every call
 * and outcome). Timers are faked so batch windows fire
 * at exact workload steps: a seed replays bit for bit.
 */
export function defineMemoryCampaign(name: string, firstSeed: number, points: number): void {
  const replay = process.env.NORI_CRASH_SEED;
  const wanted = Number(process.env.NORI_CRASH_POINTS ?? points);
  const caseOptions: CaseOptions = {
    maxSteps: CI_MAX_STEPS,
    sleep: async (ms) => {
      await vi.advanceTimersByTimeAsync(ms);
    },
  };

  beforeAll(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'hrtime'] });
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  if (replay !== undefined) {
    it(`${name}: replays case NORI_CRASH_SEED=${replay}`, { timeout: 120_000 }, async () => {
      const trace = process.env.NORI_CRASH_TRACE === '1' ? (line: string) => console.info(line) : undefined;
      const result = await runCrashCase(Number(replay), trace === undefined ? caseOptions : { ...caseOptions, trace });
      console.info(JSON.stringify(result, null, 2));
      expect(result.violations, formatFailure(result, 'NORI_CRASH_SEED={seed}')).toEqual([]);
    });
    return;
  }

  it(`${name}: ${wanted} random crash points lose no acknowledged record`, { timeout: 180_000 }, async () => {
    const started = Date.now();
    const summary = await runCampaign({ firstSeed, points: wanted, caseOptions });
    const failure = summary.failures[0];
    const command = `NORI_CRASH_SEED={seed} pnpm --filter @nori/wal exec vitest run test/${name}.test.ts`;
    expect(failure === undefined ? '' : formatFailure(failure, command)).toBe('');
    expect(summary.crashes).toBeGreaterThanOrEqual(wanted);
    console.info(
      `${name}: ${summary.crashes} crash points, ${summary.cases} cases, ${summary.closes} clean reopenings, ` +
        `${summary.appended} records appended (${summary.aborted} aborted in time), seeds ${firstSeed}..${firstSeed + summary.cases - 1}, ` +
        `${Date.now() - started} ms`,
    );
  });
}
