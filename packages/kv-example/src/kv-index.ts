import type { BytesLike } from './bytes.js';
import { byteLength, keyIdToBytes } from './bytes.js';
import type { SnapshotEntryInput } from './snapshot-format.js';

/** A live value in the in-memory index. */
export interface IndexEntry {
  /** The value as it was written: a string (UTF-8) or bytes the store owns. Never mutated. */
  readonly value: BytesLike;
  /** Unix ms; 0 = never expires. */
  readonly expiresAt: number;
}

/**
 * The in-memory state of the store: key id (see `keyId`) -> value. Expired entries are dropped
 * lazily on access, on snapshot and on replay; expiry is decided by the absolute time recorded
 * with the put, so it gives the same answer before and after a restart.
 */
export class KvIndex {
  private readonly entries = new Map<string, IndexEntry>();

  /** Number of entries held, including expired ones not yet dropped. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Sets `id` to `value`. A put whose expiry has already passed just removes the key and
   * returns false.
   */
  put(id: string, value: BytesLike, expiresAt: number, now: number): boolean {
    if (expiresAt !== 0 && expiresAt <= now) {
      this.entries.delete(id);
      return false;
    }
    this.entries.set(id, { value, expiresAt });
    return true;
  }

  /** Removes `id`; returns whether a live (unexpired) entry was removed. */
  delete(id: string, now: number): boolean {
    const previous = this.entries.get(id);
    if (previous === undefined) return false;
    this.entries.delete(id);
    return !isExpired(previous, now);
  }

  /** The live entry for `id`, dropping it if it has expired. */
  get(id: string, now: number): IndexEntry | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    if (isExpired(entry, now)) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  /** Sorted live key ids starting with `prefix` (a key id too). */
  keysWithPrefix(prefix: string, now: number): string[] {
    const ids: string[] = [];
    for (const [id, entry] of this.entries) {
      if (id.startsWith(prefix) && !isExpired(entry, now)) ids.push(id);
    }
    return ids.sort(compareIds);
  }

  /** Drops every expired entry; returns how many were dropped. */
  purgeExpired(now: number): number {
    let dropped = 0;
    for (const [id, entry] of this.entries) {
      if (isExpired(entry, now)) {
        this.entries.delete(id);
        dropped++;
      }
    }
    return dropped;
  }

  /** Counts live entries and their key+value bytes without dropping anything. */
  countLive(now: number): { keys: number; bytes: number; expired: number } {
    let keys = 0;
    let bytes = 0;
    let expired = 0;
    for (const [id, entry] of this.entries) {
      if (isExpired(entry, now)) expired++;
      else {
        keys++;
        bytes += id.length + byteLength(entry.value);
      }
    }
    return { keys, bytes, expired };
  }

  /**
   * A point-in-time copy of the live entries for a snapshot (in insertion order). Values are
   * shared, not copied: the store never mutates a value it has indexed.
   */
  snapshotEntries(now: number): SnapshotEntryInput[] {
    const out: SnapshotEntryInput[] = [];
    for (const [id, entry] of this.entries) {
      if (!isExpired(entry, now)) out.push({ key: keyIdToBytes(id), value: entry.value, expiresAt: entry.expiresAt });
    }
    return out;
  }
}

function isExpired(entry: IndexEntry, now: number): boolean {
  return entry.expiresAt !== 0 && entry.expiresAt <= now;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
