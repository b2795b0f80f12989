import type { WalObserver } from './types.js';

type Hooks = Required<WalObserver>;
const warned = new WeakSet<object>();

/**
 * The observer's hook `name`, bound to the observer and isolated: a hook that throws never breaks
 * the log (the first failure of an observer is reported with `process.emitWarning`). Undefined
 * when there is no such hook, so callers test it once and build no event object otherwise.
 */
export function hook<K extends keyof WalObserver>(observer: WalObserver | undefined, name: K): Hooks[K] | undefined {
  const fn = observer?.[name];
  if (observer === undefined || typeof fn !== 'function') return undefined;
  const call = fn as (this: WalObserver, event: unknown) => void;
  const isolated = (event: unknown): void => {
    try {
      call.call(observer, event);
    } catch (error) {
      if (!warned.has(observer)) {
        warned.add(observer);
        process.emitWarning(`@nori/wal observer ${name} threw (ignored): ${String(error)}`, 'NoriWalObserverWarning');
      }
    }
  };
  return isolated;
}
