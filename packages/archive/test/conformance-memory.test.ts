import { runObjectStoreConformance } from '../src/conformance.js';
import { MemoryObjectStore } from '../src/index.js';

runObjectStoreConformance(
  () => {
    const store = new MemoryObjectStore({ seed: 1, listPageSize: 2 });
    return { store, corrupt: async (key) => store.corrupt(key, { offset: 100 }) };
  },
  { name: 'MemoryObjectStore', supports: { corruption: true, listPageSize: 2 } },
);

runObjectStoreConformance(
  () => {
    const store = new MemoryObjectStore({ seed: 99, listPageSize: 1 });
    return { store, corrupt: async (key) => store.corrupt(key), injectFault: (fault) => store.injectFault(fault) };
  },
  { name: 'MemoryObjectStore (faults, one key per list page)', supports: { corruption: true, faults: true, listPageSize: 1 } },
);
