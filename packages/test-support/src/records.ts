import { text } from './bytes.js';

/** Prefix of the keys made by {@link record}. */
const KEY_PREFIX = 'key-';
/** Digits of the zero-padded number in a key made by {@link record}. */
const KEY_DIGITS = 5;
/** Multiplier of the value pattern: value byte j of record i is `(i * 31 + j) & 0xff`. */
const VALUE_STRIDE = 31;

/** A key and value of numbered test record `i`: `key-00042` and a deterministic byte pattern. */
export function record(i: number, valueSize = 100): { key: string; value: Uint8Array } {
  const value = new Uint8Array(valueSize);
  for (let j = 0; j < valueSize; j++) value[j] = (i * VALUE_STRIDE + j) & 0xff;
  return { key: `${KEY_PREFIX}${String(i).padStart(KEY_DIGITS, '0')}`, value };
}

/** The number in a key made by {@link record}. */
export function indexOf(key: Uint8Array): number {
  return Number(text(key).slice(KEY_PREFIX.length));
}

/** Collects every item of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The `code` of the error `action` throws or rejects with, or `undefined` if it succeeds. */
export async function codeOf(action: () => unknown): Promise<string | undefined> {
  try {
    await action();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}
