import { afterAll, describe, expect, it } from 'vitest';
import { killAllChildren, runKillCampaign, type KillRound } from './crash-support/kill-harness.js';

// Real processes, real files: a child appends with fsync 'always' and is SIGKILLed at random
// moments; the parent reopens the directory and checks every acknowledged record.
// NORI_KILL_ROUNDS / NORI_KILL_SEED override the round count and the seed.

afterAll(() => {
  killAllChildren();
});

function describeRound(r: KillRound): string {
  return `round ${r.round} (policy=${r.policy}, early=${String(r.early)}, locked=${String(r.locked)}, ${r.acknowledged}/${r.submitted} acknowledged):\n  ${r.violations.join('\n  ')}`;
}

describe('SIGKILL during appends (NodeFileStorage; fsync always, os, batch)', () => {
  it('never loses an acknowledged record, and a killed writer never blocks the next open', { timeout: 240_000 }, async () => {
    const rounds = Number(process.env.NORI_KILL_ROUNDS ?? 50);
    const seed = Number(process.env.NORI_KILL_SEED ?? 20261125);
    const started = Date.now();
    const summary = await runKillCampaign({ rounds, seed });
    const failure = summary.failures[0];
    expect(failure === undefined ? '' : `seed ${seed}: ${describeRound(failure)}`).toBe('');
    expect(summary.rounds).toBe(rounds);
    // Not vacuous: children got far enough to acknowledge records in most rounds.
    expect(summary.acknowledged).toBeGreaterThan(rounds * 2);
    console.info(
      `SIGKILL: ${summary.rounds} rounds (${summary.early} killed before recovery finished), ` +
        `${summary.acknowledged} acknowledged records checked, ${summary.recovered} records in the final log, ${Date.now() - started} ms`,
    );
  });
});
