import { MemoryStorage } from '@nori/storage';
import { runWalConformance } from '../src/index.js';

runWalConformance(
  'MemoryStorage',
  () => {
    const storage = new MemoryStorage({ seed: 7 });
    return {
      storage,
      crash: () => {
        storage.crash();
        return storage;
      },
      failSyncs: (count: number) => storage.injectFault({ kind: 'eio', op: 'sync', times: count }),
    };
  },
  { supports: { crash: true, faults: true } },
);
