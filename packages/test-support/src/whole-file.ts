/**
 * The part of a storage file {@link readWhole} needs. Structural, so this package depends on no
 * nori package (every nori package's tests can use it without a dependency cycle).
 */
export interface ReadableFile {
  size(): Promise<number>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<unknown>;
  close(): Promise<void>;
}

/** The part of a `Storage` {@link readWhole} needs. */
export interface ReadableStorage {
  exists(name: string): Promise<boolean>;
  open(name: string, options: { readOnly: true }): Promise<ReadableFile>;
}

/** The whole content of file `name` of `storage` (the file must exist). */
export async function readWhole(storage: ReadableStorage, name: string): Promise<Uint8Array> {
  const file = await storage.open(name, { readOnly: true });
  try {
    const size = await file.size();
    const bytes = new Uint8Array(size);
    await file.read(bytes, 0, size, 0);
    return bytes;
  } finally {
    await file.close();
  }
}

/** The whole content of file `name`, or `undefined` if it does not exist. */
export async function readWholeIfExists(storage: ReadableStorage, name: string): Promise<Uint8Array | undefined> {
  if (!(await storage.exists(name))) return undefined;
  return readWhole(storage, name);
}
