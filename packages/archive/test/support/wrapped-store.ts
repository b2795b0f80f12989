import type { ObjectStore } from '../../src/index.js';

/** An {@link ObjectStore} that forwards to `inner`, with some operations replaced (spies, faults). */
export function wrapStore(inner: ObjectStore, overrides: Partial<ObjectStore>): ObjectStore {
  return {
    put: overrides.put ?? ((key, bytes, options) => inner.put(key, bytes, options)),
    get: overrides.get ?? ((key, options) => inner.get(key, options)),
    head: overrides.head ?? ((key, options) => inner.head(key, options)),
    list: overrides.list ?? ((prefix, options) => inner.list(prefix, options)),
    delete: overrides.delete ?? ((key, options) => inner.delete(key, options)),
  };
}
