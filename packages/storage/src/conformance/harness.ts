import { afterEach, beforeEach, expect } from 'vitest';
import type { Storage } from '../types.js';

/** What a backend hands to the conformance suite for each test. */
export interface ConformanceHarness {
  /** A fresh, empty storage. */
  storage: Storage;
  /** Another instance on the same backing store, as a second writer would open it. */
  reopen(): Storage | Promise<Storage>;
  /**
   * Optional: simulate the process (or machine) going away without closing anything, and return
   * the store as the next process sees it. Enables the durability tests.
   */
  restart?(): Storage | Promise<Storage>;
  /**
   * Optional (required by `runStorageConformance(..., { links: true })`): creates a symbolic
   * link `name` in the store whose target text is `target`, behind the storage's back, as a user
   * or another program would.
   */
  makeSymlink?: (name: string, target: string) => void | Promise<void>;
  /** Optional: creates a FIFO `name` in the store behind the storage's back (enables its tests). */
  makeFifo?(name: string): void | Promise<void>;
  /** Optional: release resources (delete temporary directories). */
  cleanup?: () => void | Promise<void>;
}

/** Creates one harness per test. */
export type ConformanceFactory = () => ConformanceHarness | Promise<ConformanceHarness>;

/** Gives each test of a section a fresh harness and cleans it up afterwards. */
export function useHarness(factory: ConformanceFactory): () => ConformanceHarness {
  let current: ConformanceHarness | undefined;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    const harness = current;
    current = undefined;
    await harness?.cleanup?.();
  });
  return () => {
    if (current === undefined) throw new Error('conformance harness used outside a test');
    return current;
  };
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** Asserts that `action` throws synchronously an error with `code` (and the StorageError name). */
export function expectThrowsCode(action: () => unknown, code: string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a synchronous ${code}`).toBeInstanceOf(Error);
  expect((caught as Error).name).toBe('StorageError');
  expect(codeOf(caught)).toBe(code);
}

/** Asserts that `action` rejects (or throws) with an error with `code`. */
export async function expectRejectsCode(action: () => Promise<unknown>, code: string): Promise<void> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a rejection with ${code}`).toBeInstanceOf(Error);
  expect((caught as Error).name).toBe('StorageError');
  expect(codeOf(caught)).toBe(code);
}

/** Asserts byte equality without a slow deep comparison; reports the first difference. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength, 'byte length').toBe(expected.byteLength);
  let first = -1;
  for (let i = 0; i < actual.byteLength; i++) {
    if (actual[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  expect(first, 'offset of the first differing byte').toBe(-1);
}

/** Deterministic test bytes. */
export function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Reads a whole file through a fresh handle. */
export async function readAll(storage: Storage, name: string): Promise<Uint8Array> {
  const file = await storage.open(name);
  try {
    const size = await file.size();
    const out = new Uint8Array(size);
    const n = await file.read(out, 0, size, 0);
    expect(n).toBe(size);
    return out;
  } finally {
    await file.close();
  }
}

/** Creates `name` with `content`, synced (data and directory) unless `sync` is false. */
export async function writeFile(storage: Storage, name: string, content: Uint8Array, sync = true): Promise<void> {
  const file = await storage.open(name, { create: true });
  try {
    await file.truncate(0);
    await file.writev([content], 0);
    if (sync) await file.datasync();
  } finally {
    await file.close();
  }
  if (sync) {
    const slash = name.lastIndexOf('/');
    await (slash < 0 ? storage.syncDir() : storage.syncDir(name.slice(0, slash)));
  }
}
