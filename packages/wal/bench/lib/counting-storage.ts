import type { Storage, StorageFile } from '@nori/storage';

/**
 * Wraps a storage so that bytes read from segment files are counted (what a lookup costs in
 * I/O). Files are wrapped with a Proxy: class-based files keep their prototype methods.
 */
export function countSegmentReads(inner: Storage): { storage: Storage; bytesRead: () => number } {
  let bytes = 0;
  const wrapFile = (file: StorageFile): StorageFile =>
    new Proxy(file, {
      get(target, property, receiver) {
        if (property === 'readSync') {
          return (buffer: Uint8Array, offset: number, length: number, position: number) => {
            const n = target.readSync(buffer, offset, length, position);
            bytes += n;
            return n;
          };
        }
        if (property === 'read') {
          return async (buffer: Uint8Array, offset: number, length: number, position: number) => {
            const n = await target.read(buffer, offset, length, position);
            bytes += n;
            return n;
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'open') {
        return async (name: string, options?: Parameters<Storage['open']>[1]) => {
          const file = await target.open(name, options);
          return name.endsWith('.wal') ? wrapFile(file) : file;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage, bytesRead: () => bytes };
}
