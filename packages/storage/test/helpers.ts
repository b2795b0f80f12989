import type { Storage } from '../src/index.js';

/** Whole content of `name`, or `undefined` if it does not exist. */
export async function contentOf(storage: Storage, name: string): Promise<Uint8Array | undefined> {
  if (!(await storage.exists(name))) return undefined;
  const file = await storage.open(name, { readOnly: true });
  try {
    const size = await file.size();
    const out = new Uint8Array(size);
    await file.read(out, 0, size, 0);
    return out;
  } finally {
    await file.close();
  }
}

/** `length` bytes all equal to `value`. */
export function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

/** Runs `body` for seeds 1..count and collects its results. */
export async function overSeeds<T>(count: number, body: (seed: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let seed = 1; seed <= count; seed++) results.push(await body(seed));
  return results;
}

/** Asserts-free code for catching an error's `code`. */
export async function codeOf(action: () => Promise<unknown> | unknown): Promise<string | undefined> {
  try {
    await action();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}
