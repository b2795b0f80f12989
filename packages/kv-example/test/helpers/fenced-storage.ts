import { StorageError, type MemoryStorage, type Storage, type StorageFile } from '@nori/storage';

/**
 * One simulated process's view of a MemoryStorage. After the disk "crashes" (the memory
 * storage's crash count moves on) every call fails with ERR_CRASHED, so a dead store's leftover
 * async work can never touch the disk the next "process" recovers from.
 */
export function processView(memory: MemoryStorage): Storage {
  const epoch = memory.crashes;
  // Every Storage/StorageFile method returns a promise except the *Sync ones.
  const dead = (op: string): unknown => {
    const error = new StorageError('ERR_CRASHED', `${op}: this process died in a crash`);
    if (op.endsWith('Sync')) throw error;
    return Promise.reject(error);
  };
  const wrapFile = (file: StorageFile): StorageFile =>
    new Proxy(file, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (memory.crashes !== epoch ? dead(String(property)) : (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
  return new Proxy(memory, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (memory.crashes !== epoch) return dead(String(property));
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (property === 'open') return (result as Promise<StorageFile>).then(wrapFile);
        return result;
      };
    },
  });
}
