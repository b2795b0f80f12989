import type { WalObserver } from '@nori/wal';
import { NoriOtelError } from './errors.js';

/** The event methods of {@link WalObserver}. */
export const WAL_OBSERVER_METHODS = [
  'onAppend',
  'onFsync',
  'onSegmentRolled',
  'onSegmentDeleted',
  'onRecovery',
  'onCorruption',
  'onFailed',
] as const satisfies readonly (keyof WalObserver)[];

type ObserverMethod = (typeof WAL_OBSERVER_METHODS)[number];
type Handler = (event: never) => void;

/**
 * Fan one WAL's events out to several observers (e.g. OpenTelemetry plus your own logging).
 *
 * The result only defines the methods at least one observer defines, so events nobody listens
 * to stay free for the WAL. Observers are called in order with the same event object; if some
 * throw, the others still run and the first error is rethrown afterwards (an `AggregateError`
 * when several threw). `undefined` entries are skipped, so
 * `combineObservers(otel.observer, debug ? logger : undefined)` works.
 *
 * @param observers - observers to call, in order
 * @returns one observer calling them all
 * @throws {@link NoriOtelError} `ERR_INVALID_ARGUMENT` if an entry is not an object or has a
 *   non-function event method
 */
export function combineObservers(...observers: readonly (WalObserver | undefined)[]): WalObserver {
  const present: WalObserver[] = [];
  observers.forEach((observer, index) => {
    if (observer === undefined) return;
    if (typeof observer !== 'object' || observer === null) {
      throw new NoriOtelError('ERR_INVALID_ARGUMENT', `combineObservers: argument ${index} is not a WalObserver`);
    }
    for (const method of WAL_OBSERVER_METHODS) {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- only its type is checked, it is never called here
      const fn: unknown = observer[method];
      if (fn !== undefined && typeof fn !== 'function') {
        throw new NoriOtelError('ERR_INVALID_ARGUMENT', `combineObservers: argument ${index}.${method} is not a function`);
      }
    }
    present.push(observer);
  });
  if (present.length === 1) return present[0]!;

  const combined: Record<string, (event: unknown) => void> = {};
  for (const method of WAL_OBSERVER_METHODS) {
    const targets = present.filter((o) => o[method] !== undefined);
    if (targets.length === 0) continue;
    combined[method] = fanOut(targets, method);
  }
  return combined;
}

function fanOut(targets: readonly WalObserver[], method: ObserverMethod): (event: unknown) => void {
  return (event) => {
    let errors: unknown[] | undefined;
    for (const target of targets) {
      try {
        (target[method] as Handler).call(target, event as never);
      } catch (error) {
        (errors ??= []).push(error);
      }
    }
    if (errors === undefined) return;
    if (errors.length === 1) throw errors[0];
    throw new AggregateError(errors, `${errors.length} WAL observers threw in ${method}`);
  };
}
