import type { DemoOperation, DemoWrite } from './workload.js';

interface ModelEntry {
  value: string;
  expiresAt: number | undefined;
}

/** Outcome of checking a recovered store against the workload. */
export interface DemoVerification {
  /** True when the store holds exactly the state after some prefix that includes every acknowledged operation. */
  ok: boolean;
  /** Length of the first operation prefix whose state the store matches exactly. */
  matchedOperations: number | undefined;
  /** Operations acknowledged to the parent before the crash. */
  acknowledged: number;
  /** Keys compared (expected or present). */
  keysCompared: number;
  /** Keys of the matched state that are gone because their TTL ran out. */
  expiredKeys: number;
  /** Up to five human-readable differences against the acknowledged state (when `ok` is false). */
  differences: string[];
}

function writesOf(operation: DemoOperation): readonly (DemoWrite | (DemoWrite & { expiresAt?: number }))[] {
  return operation.kind === 'batch' ? operation.writes : [operation];
}

class Model {
  readonly entries = new Map<string, ModelEntry>();

  apply(operation: DemoOperation): string[] {
    const touched: string[] = [];
    for (const write of writesOf(operation)) {
      if (write.kind === 'put') {
        const expiresAt = 'expiresAt' in write ? write.expiresAt : undefined;
        this.entries.set(write.key, { value: write.value, expiresAt });
      } else {
        this.entries.delete(write.key);
      }
      touched.push(write.key);
    }
    return touched;
  }

  visible(key: string, now: number): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    return entry.expiresAt !== undefined && entry.expiresAt <= now ? undefined : entry.value;
  }
}

function describe(key: string, expected: string | undefined, actual: string | undefined): string {
  const show = (v: string | undefined): string => (v === undefined ? 'absent' : JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v));
  return `${key}: expected ${show(expected)}, found ${show(actual)}`;
}

/**
 * Checks that `actual` (every live key of the recovered store, read with the clock frozen at
 * `now`) is exactly the state after the first X operations for some X >= `acknowledged`.
 *
 * The log is a prefix of what the writer issued, in issue order, and batches are atomic, so an
 * honest recovery always matches some prefix; a lost acknowledged write, a resurrected delete,
 * a partial batch or a garbage value matches none.
 */
export function verifyRecoveredState(
  operations: readonly DemoOperation[],
  acknowledged: number,
  actual: ReadonlyMap<string, string>,
  now: number,
): DemoVerification {
  const model = new Model();
  for (let i = 0; i < acknowledged; i++) model.apply(operations[i] as DemoOperation);

  const mismatched = new Set<string>();
  const check = (key: string): void => {
    if (model.visible(key, now) === actual.get(key)) mismatched.delete(key);
    else mismatched.add(key);
  };
  const keys = new Set<string>([...model.entries.keys(), ...actual.keys()]);
  for (const key of keys) check(key);
  const differences = [...mismatched].slice(0, 5).map((key) => describe(key, model.visible(key, now), actual.get(key)));

  let matched: number | undefined = mismatched.size === 0 ? acknowledged : undefined;
  for (let i = acknowledged; matched === undefined && i < operations.length; i++) {
    for (const key of model.apply(operations[i] as DemoOperation)) check(key);
    if (mismatched.size === 0) matched = i + 1;
  }

  let expiredKeys = 0;
  if (matched !== undefined) {
    for (const [key, entry] of model.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now && !actual.has(key)) expiredKeys++;
    }
  }
  return {
    ok: matched !== undefined,
    matchedOperations: matched,
    acknowledged,
    keysCompared: keys.size,
    expiredKeys,
    differences: matched === undefined ? differences : [],
  };
}
