import { describe, expect, it } from 'vitest';
import { decideRecovery, worstVerdict, type DamageKind, type RecoveryAction } from '../src/recovery-policy.js';
import type { RecoveryMode } from '../src/types.js';

// The README's recovery table, one row per finding: [strict, tolerate-tail, point-in-time, salvage].
const TABLE: Record<DamageKind, [RecoveryAction, RecoveryAction, RecoveryAction, RecoveryAction]> = {
  'zero-tail': ['keep', 'keep', 'keep', 'keep'],
  'torn-tail': ['fail', 'truncate', 'truncate', 'truncate'],
  corrupt: ['fail', 'quarantine', 'quarantine', 'skip'],
  'missing-segments': ['fail', 'quarantine', 'quarantine', 'skip'],
  'missing-at-end': ['fail', 'truncate', 'truncate', 'skip'],
  'sealed-changed': ['fail', 'quarantine', 'quarantine', 'skip'],
  'too-large': ['fail', 'fail', 'fail', 'skip'],
  'known-region': ['fail', 'skip', 'skip', 'skip'],
};
const MODES: RecoveryMode[] = ['strict', 'tolerate-tail', 'point-in-time', 'salvage'];

describe('decideRecovery', () => {
  for (const [kind, actions] of Object.entries(TABLE) as [DamageKind, RecoveryAction[]][]) {
    for (const [i, mode] of MODES.entries()) {
      it(`${mode} × ${kind} → ${actions[i]}`, () => {
        expect(decideRecovery(mode, kind).action).toBe(actions[i]);
      });
    }
  }

  it('counts a finding the same way in every mode: damage before the tail is corruption, a torn end is a torn tail', () => {
    for (const mode of MODES) {
      expect(decideRecovery(mode, 'corrupt').verdict).toBe('corruption');
      expect(decideRecovery(mode, 'missing-segments').verdict).toBe('corruption');
      expect(decideRecovery(mode, 'missing-at-end').verdict).toBe('corruption');
      expect(decideRecovery(mode, 'sealed-changed').verdict).toBe('corruption');
      expect(decideRecovery(mode, 'too-large').verdict).toBe('corruption');
      expect(decideRecovery(mode, 'torn-tail').verdict).toBe('torn-tail');
      expect(decideRecovery(mode, 'zero-tail').verdict).toBe('none');
      expect(decideRecovery(mode, 'known-region').verdict).toBe('none');
    }
  });

  it('strict never modifies: it keeps a zero tail and refuses every damage', () => {
    for (const kind of Object.keys(TABLE) as DamageKind[]) {
      expect(['keep', 'fail']).toContain(decideRecovery('strict', kind).action);
    }
  });
});

describe('worstVerdict', () => {
  it('corruption outranks a torn tail, which outranks nothing', () => {
    expect(worstVerdict([])).toBe('none');
    expect(worstVerdict(['none', 'none'])).toBe('none');
    expect(worstVerdict(['none', 'torn-tail', 'none'])).toBe('torn-tail');
    expect(worstVerdict(['torn-tail', 'corruption', 'none'])).toBe('corruption');
    expect(worstVerdict(['corruption', 'torn-tail'])).toBe('corruption');
  });
});
