import { describe, expect, it } from 'vitest';
import { verifyRecoveredState } from '../src/demo/verify.js';
import { demoWorkload, type DemoOperation } from '../src/demo/workload.js';

const NOW = 1_000_000;

/** The exact state after the first `count` operations, as the store would show it at NOW. */
function stateAfter(operations: readonly DemoOperation[], count: number): Map<string, string> {
  const state = new Map<string, { value: string; expiresAt?: number }>();
  for (const operation of operations.slice(0, count)) {
    const writes: readonly { kind: 'put' | 'del'; key: string; value?: string; expiresAt?: number }[] =
      operation.kind === 'batch' ? operation.writes : [operation];
    for (const write of writes) {
      if (write.kind === 'put') {
        const value = write.value ?? '';
        state.set(write.key, write.expiresAt === undefined ? { value } : { value, expiresAt: write.expiresAt });
      } else state.delete(write.key);
    }
  }
  const visible = new Map<string, string>();
  for (const [key, entry] of state) if (entry.expiresAt === undefined || entry.expiresAt > NOW) visible.set(key, entry.value);
  return visible;
}

describe('demo verification', () => {
  const { operations } = demoWorkload({ records: 3000, seed: 7, startedAt: NOW - 1500 });

  it('is deterministic in the seed', () => {
    expect(demoWorkload({ records: 3000, seed: 7, startedAt: NOW - 1500 }).operations).toEqual(operations);
    expect(demoWorkload({ records: 3000, seed: 8, startedAt: NOW - 1500 }).operations).not.toEqual(operations);
  });

  it('accepts the acknowledged state and any longer prefix', () => {
    const acked = 1000;
    expect(verifyRecoveredState(operations, acked, stateAfter(operations, acked), NOW)).toMatchObject({ ok: true, matchedOperations: acked });
    const longer = verifyRecoveredState(operations, acked, stateAfter(operations, acked + 37), NOW);
    expect(longer.ok).toBe(true);
    expect(longer.matchedOperations).toBeGreaterThan(acked);
    expect(longer.matchedOperations).toBeLessThanOrEqual(acked + 37);
    expect(longer.expiredKeys).toBeGreaterThan(0);
  });

  it('rejects a lost acknowledged write', () => {
    const state = stateAfter(operations, 1000);
    const lastPut = operations.slice(0, 1000).findLast((op) => op.kind === 'put');
    if (lastPut?.kind !== 'put') throw new Error('workload has no put');
    state.delete(lastPut.key);
    const result = verifyRecoveredState(operations, 1000, state, NOW);
    expect(result.ok).toBe(false);
    expect(result.differences.join('\n')).toContain(lastPut.key);
  });

  it('rejects a partial batch and a resurrected delete', () => {
    const index = operations.findIndex((op, i) => i > 500 && op.kind === 'batch');
    const batch = operations[index];
    if (batch?.kind !== 'batch') throw new Error('workload has no batch');
    const partial = stateAfter(operations, index);
    const firstWrite = batch.writes[0];
    if (firstWrite?.kind !== 'put') throw new Error('batch starts with a put');
    partial.set(firstWrite.key, firstWrite.value);
    expect(verifyRecoveredState(operations, index, partial, NOW).ok).toBe(false);

    const deleteIndex = operations.findIndex((op, i) => i > 500 && op.kind === 'del' && stateAfter(operations, i).has(op.key));
    const deletion = operations[deleteIndex];
    if (deletion?.kind !== 'del') throw new Error('workload has no effective delete');
    const resurrected = stateAfter(operations, deleteIndex + 1);
    resurrected.set(deletion.key, stateAfter(operations, deleteIndex).get(deletion.key) as string);
    expect(verifyRecoveredState(operations, deleteIndex + 1, resurrected, NOW).ok).toBe(false);
  });
});
