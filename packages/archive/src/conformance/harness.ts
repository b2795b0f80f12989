import { expect } from 'vitest';
import { ArchiveError, type ArchiveErrorCode } from '../errors.js';
import type { MemoryObjectFault } from '../memory/faults.js';
import type { ObjectStore, ObjectSummary } from '../types.js';

/** What one test gets from the factory: a store with no objects (under its prefix). */
export interface ObjectStoreHarness {
  store: ObjectStore;
  /**
   * Damages the stored bytes of `key` behind the store's back, keeping the recorded CRC32C
   * (needed for `supports.corruption`).
   */
  corrupt?: (key: string) => Promise<void>;
  /** Arms a fault as `MemoryObjectStore.injectFault` does (needed for `supports.faults`). */
  injectFault?: (fault: MemoryObjectFault) => void;
  /** Called after the test (e.g. to delete its objects or close the client). */
  cleanup?: () => Promise<void>;
}

/** Makes a fresh harness for one test. */
export type ObjectStoreFactory = () => ObjectStoreHarness | Promise<ObjectStoreHarness>;

/** Optional behaviour a store has (and its harness can drive). */
export interface ObjectStoreSupports {
  /** `harness.corrupt` exists: test that reads detect damaged objects. Default false. */
  corruption?: boolean;
  /** `harness.injectFault` exists: test what callers see under faults. Default false. */
  faults?: boolean;
  /**
   * The list page size the harness configured is this small (e.g. 2): the listing tests write
   * more keys than that to cross page boundaries. Default: 2.
   */
  listPageSize?: number;
}

/** Options of {@link runObjectStoreConformance}. */
export interface ObjectStoreConformanceOptions {
  /** Name of the `describe` block (default `ObjectStore`). */
  name?: string;
  supports?: ObjectStoreSupports;
}

const encoder = new TextEncoder();

export function bytesOf(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Asserts equal bytes without a per-element diff of large arrays. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.length), Buffer.from(expected.buffer, expected.byteOffset, expected.length))).toBe(
    0,
  );
}

/** Resolves to the ArchiveError `promise` rejects with; fails if it resolves or throws anything else. */
export async function rejection(promise: Promise<unknown>, code: ArchiveErrorCode): Promise<ArchiveError> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ArchiveError);
  expect((error as ArchiveError).code).toBe(code);
  return error as ArchiveError;
}

export async function collect(iterable: AsyncIterable<ObjectSummary>): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of iterable) keys.push(entry.key);
  return keys;
}

/** Deterministic pseudo-random bytes (no PRNG state shared between tests). */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export type Body = (harness: ObjectStoreHarness) => Promise<void>;

export function withHarness(factory: ObjectStoreFactory, body: Body): () => Promise<void> {
  return async () => {
    const harness = await factory();
    try {
      await body(harness);
    } finally {
      await harness.cleanup?.();
    }
  };
}
