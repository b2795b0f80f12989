import { ArchiveError } from '../errors.js';
import type { ObjectStoreOperation } from '../types.js';
import { Prng } from '@nori/storage';

/** The operations that change the store: the only ones whose response can be lost. */
export type MutatingOperation = Extract<ObjectStoreOperation, 'put' | 'delete'>;

/** How an injected fault shows itself to the caller. */
export type FaultEffect = 'unavailable' | 'timeout' | 'lost-response';

/** Which calls a {@link MemoryObjectFault} applies to; `times` counts matching calls (default: until cleared). */
export interface MemoryFaultTarget<Op extends ObjectStoreOperation = ObjectStoreOperation> {
  /** Only this operation (default: every operation the fault kind allows). */
  op?: Op | undefined;
  /** Only calls on this exact key (for `list`: this exact prefix). */
  key?: string | undefined;
  times?: number | undefined;
}

/** A fault to inject into a {@link MemoryObjectStore}. */
export type MemoryObjectFault =
  /** The call fails with `ERR_UNAVAILABLE` before it has any effect (store unreachable). */
  | ({ kind: 'unavailable' } & MemoryFaultTarget)
  /**
   * The call fails with `ERR_TIMEOUT`. A put or delete took effect or not, as the seeded PRNG
   * decides: the caller cannot know which.
   */
  | ({ kind: 'timeout' } & MemoryFaultTarget)
  /** A put or delete takes effect, then its response is lost: the caller sees `ERR_UNAVAILABLE`. */
  | ({ kind: 'lost-response' } & MemoryFaultTarget<MutatingOperation>)
  /**
   * Each matching call fails with probability `probability`, with an effect drawn by the seeded
   * PRNG from `effects` (default: all three; `lost-response` only hits puts and deletes).
   */
  | { kind: 'random'; probability: number; ops?: readonly ObjectStoreOperation[] | undefined; effects?: readonly FaultEffect[] | undefined };

type TargetedFault = Exclude<MemoryObjectFault, { kind: 'random' }>;
type RandomFault = Extract<MemoryObjectFault, { kind: 'random' }>;

interface Armed {
  fault: TargetedFault;
  remaining: number;
}

const OPERATIONS: readonly ObjectStoreOperation[] = ['put', 'get', 'head', 'list', 'delete'];
const EFFECTS: readonly FaultEffect[] = ['unavailable', 'timeout', 'lost-response'];

function isMutating(op: ObjectStoreOperation): op is MutatingOperation {
  return op === 'put' || op === 'delete';
}

function invalid(message: string): ArchiveError {
  return new ArchiveError('ERR_INVALID_ARGUMENT', `invalid fault: ${message}`);
}

function validateTimes(times: number | undefined): number {
  if (times === undefined) return Infinity;
  if (!Number.isSafeInteger(times) || times <= 0) throw invalid('times must be a positive integer');
  return times;
}

function validateTargeted(fault: TargetedFault): void {
  if (fault.op !== undefined && !OPERATIONS.includes(fault.op)) throw invalid(`unknown op ${JSON.stringify(fault.op)}`);
  if (fault.kind === 'lost-response' && fault.op !== undefined && !isMutating(fault.op)) {
    throw invalid('lost-response applies to put and delete only');
  }
}

function validateRandom(fault: RandomFault): void {
  if (typeof fault.probability !== 'number' || !(fault.probability >= 0 && fault.probability <= 1)) {
    throw invalid('probability must be within [0, 1]');
  }
  for (const op of fault.ops ?? []) if (!OPERATIONS.includes(op)) throw invalid(`unknown op ${JSON.stringify(op)}`);
  for (const effect of fault.effects ?? []) if (!EFFECTS.includes(effect)) throw invalid(`unknown effect ${JSON.stringify(effect)}`);
  if (fault.effects?.length === 0) throw invalid('effects must not be empty');
}

/** Bookkeeping of injected faults; every random choice comes from one seeded PRNG. */
export class FaultInjector {
  readonly #prng: Prng;
  #armed: Armed[] = [];
  #random: RandomFault | undefined;

  constructor(seed: number) {
    this.#prng = new Prng(seed);
  }

  add(fault: MemoryObjectFault): void {
    if (fault.kind === 'random') {
      validateRandom(fault);
      this.#random = fault;
      return;
    }
    if (fault.kind !== 'unavailable' && fault.kind !== 'timeout' && fault.kind !== 'lost-response') {
      throw invalid(`unknown kind ${JSON.stringify((fault as { kind: unknown }).kind)}`);
    }
    validateTargeted(fault);
    this.#armed.push({ fault, remaining: validateTimes(fault.times) });
  }

  clear(): void {
    this.#armed = [];
    this.#random = undefined;
  }

  /** The fault effect for this call, if any (consumes one use of a targeted fault). */
  next(op: ObjectStoreOperation, key: string): FaultEffect | undefined {
    const index = this.#armed.findIndex(({ fault }) => this.#matches(fault, op, key));
    if (index >= 0) {
      const armed = this.#armed[index] as Armed;
      armed.remaining -= 1;
      if (armed.remaining <= 0) this.#armed.splice(index, 1);
      return armed.fault.kind;
    }
    return this.#randomEffect(op);
  }

  /** Whether a timed-out mutation took effect: a coin toss of the seeded PRNG. */
  timedOutMutationApplies(): boolean {
    return this.#prng.chance();
  }

  #matches(fault: TargetedFault, op: ObjectStoreOperation, key: string): boolean {
    if (fault.op !== undefined && fault.op !== op) return false;
    if (fault.kind === 'lost-response' && !isMutating(op)) return false;
    return fault.key === undefined || fault.key === key;
  }

  #randomEffect(op: ObjectStoreOperation): FaultEffect | undefined {
    const random = this.#random;
    if (random === undefined || (random.ops !== undefined && !random.ops.includes(op))) return undefined;
    if (!this.#prng.chance(random.probability)) return undefined;
    const effects = (random.effects ?? EFFECTS).filter((effect) => effect !== 'lost-response' || isMutating(op));
    if (effects.length === 0) return undefined;
    return effects[this.#prng.int(effects.length)];
  }
}
