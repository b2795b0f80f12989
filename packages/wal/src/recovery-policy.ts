import type { RecoveryMode } from './types.js';

/**
 * What a walk of the log can find that is not a clean record boundary (the facts recovery and
 * `nori-wal verify` decide on):
 * - `zero-tail`: zero bytes after the last record of a segment (preallocated space; not damage);
 * - `torn-tail`: damage with nothing valid after it at the end of the log (a write cut short);
 * - `corrupt`: damage followed by valid records, or ending a segment that is not the last;
 * - `missing-segments`: a gap in the segment ids in the middle of the log;
 * - `missing-at-end`: segments `sealed.log` says exist are gone from the end of the log;
 * - `sealed-changed`: a sealed segment was cut, zeroed, overwritten or grown since it was sealed;
 * - `too-large`: a whole record above the read limit (every byte there, valid or not);
 * - `known-region`: a region an earlier salvage recorded in `salvaged.json`.
 */
export type DamageKind = 'zero-tail' | 'torn-tail' | 'corrupt' | 'missing-segments' | 'missing-at-end' | 'sealed-changed' | 'too-large' | 'known-region';

/**
 * What recovery does about one finding:
 * - `keep`: nothing to repair (a zero tail is trimmed, or kept as preallocated space);
 * - `fail`: refuse to open (`ERR_CORRUPTION`, or `ERR_RECORD_TOO_LARGE`); nothing is modified;
 * - `truncate`: cut the damaged end off (nothing valid is lost);
 * - `quarantine`: stop there: the rest of the segment and every later segment go to `quarantine/`;
 * - `skip`: jump over the region, record it in `salvaged.json` and go on.
 */
export type RecoveryAction = 'keep' | 'fail' | 'truncate' | 'quarantine' | 'skip';

/**
 * How a finding counts in a report: `corruption` (listed in `RecoveryReport.corruptions`; `verify`
 * exits 3), `torn-tail` (`RecoveryReport.tail` is `'torn'`; `verify` exits 4) or `none`.
 */
export type DamageVerdict = 'corruption' | 'torn-tail' | 'none';

/** The decision about one finding. */
export interface RecoveryDecision {
  action: RecoveryAction;
  verdict: DamageVerdict;
}

/** The recovery mode of a `Wal.open` that names none. */
export const DEFAULT_RECOVERY_MODE: RecoveryMode = 'tolerate-tail';

/** The action of each mode (strict / tolerate-tail / point-in-time / salvage) per finding. */
const ACTIONS: Readonly<Record<DamageKind, Readonly<Record<RecoveryMode, RecoveryAction>>>> = {
  'zero-tail': { strict: 'keep', 'tolerate-tail': 'keep', 'point-in-time': 'keep', salvage: 'keep' },
  'torn-tail': { strict: 'fail', 'tolerate-tail': 'truncate', 'point-in-time': 'truncate', salvage: 'truncate' },
  corrupt: { strict: 'fail', 'tolerate-tail': 'quarantine', 'point-in-time': 'quarantine', salvage: 'skip' },
  'missing-segments': { strict: 'fail', 'tolerate-tail': 'quarantine', 'point-in-time': 'quarantine', salvage: 'skip' },
  // Nothing is left to cut: the log ends where the segments that remain end.
  'missing-at-end': { strict: 'fail', 'tolerate-tail': 'truncate', 'point-in-time': 'truncate', salvage: 'skip' },
  'sealed-changed': { strict: 'fail', 'tolerate-tail': 'quarantine', 'point-in-time': 'quarantine', salvage: 'skip' },
  // Every byte is there: too large to read, not damaged, so never quarantined; salvage resyncs past it.
  'too-large': { strict: 'fail', 'tolerate-tail': 'fail', 'point-in-time': 'fail', salvage: 'skip' },
  'known-region': { strict: 'fail', 'tolerate-tail': 'skip', 'point-in-time': 'skip', salvage: 'skip' },
};

/** How each finding counts in a report, whatever the mode. */
const VERDICTS: Readonly<Record<DamageKind, DamageVerdict>> = {
  'zero-tail': 'none',
  'torn-tail': 'torn-tail',
  corrupt: 'corruption',
  'missing-segments': 'corruption',
  'missing-at-end': 'corruption',
  'sealed-changed': 'corruption',
  'too-large': 'corruption',
  'known-region': 'none',
};

/**
 * Decides what recovery in `mode` does about a finding of kind `damage`. Pure: `Wal.open` applies
 * the decision, and `nori-wal verify` derives its verdict from the decision of the default mode
 * (`tolerate-tail`), so the two cannot disagree.
 */
export function decideRecovery(mode: RecoveryMode, damage: DamageKind): RecoveryDecision {
  return { action: ACTIONS[damage][mode], verdict: VERDICTS[damage] };
}

/** What the `onCorruption` observer hook says was done, per action that changes something. */
const OBSERVED: Readonly<Partial<Record<RecoveryAction, 'truncated' | 'quarantined' | 'skipped'>>> = {
  truncate: 'truncated',
  quarantine: 'quarantined',
  skip: 'skipped',
};

/** The `action` the `onCorruption` hook reports for `action` (`undefined`: nothing to report). */
export function observedAs(action: RecoveryAction): 'truncated' | 'quarantined' | 'skipped' | undefined {
  return OBSERVED[action];
}

/** The worst of several verdicts (`corruption` over `torn-tail` over `none`). */
export function worstVerdict(verdicts: Iterable<DamageVerdict>): DamageVerdict {
  let worst: DamageVerdict = 'none';
  for (const verdict of verdicts) {
    if (verdict === 'corruption') return verdict;
    if (verdict === 'torn-tail') worst = verdict;
  }
  return worst;
}
