import { runStorageConformance } from '../src/conformance.js';
import { MemoryStorage } from '../src/index.js';

runStorageConformance('MemoryStorage', () => {
  const storage = new MemoryStorage({ seed: 42 });
  return {
    storage,
    reopen: () => storage,
    restart: () => {
      storage.crash();
      return storage;
    },
  };
});

runStorageConformance('MemoryStorage (subset crashes, 4 KiB sectors)', () => {
  const storage = new MemoryStorage({ seed: 7, sectorSize: 4096, crashMode: 'subset' });
  return {
    storage,
    reopen: () => storage,
    restart: () => {
      storage.crash();
      return storage;
    },
  };
});
