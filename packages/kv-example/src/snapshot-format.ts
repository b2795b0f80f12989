import { crc32c } from '@nori/codec';
import type { Position } from '@nori/wal';
import { KvError } from './errors.js';

/**
 * Snapshot file format, version 1 (all integers little-endian):
 *
 * ```
 * header (48 bytes)
 *   0  magic        8 bytes  "NORIKVSN"
 *   8  version      u32      1
 *  12  flags        u32      0 (reserved)
 *  16  segmentId    u64      WAL position the snapshot covers: every record before it is included
 *  24  offset       u64
 *  32  entries      u64      number of entries
 *  40  createdAt    u64      Unix ms
 * entries (repeated `entries` times)
 *      keyLength    u32
 *      valueLength  u32
 *      expiresAt    u64      Unix ms, 0 = never
 *      key          keyLength bytes
 *      value        valueLength bytes
 * trailer (4 bytes)
 *      crc32c       u32      CRC32C of every byte before it
 * ```
 */
export const SNAPSHOT_MAGIC = new Uint8Array([0x4e, 0x4f, 0x52, 0x49, 0x4b, 0x56, 0x53, 0x4e]); // "NORIKVSN"
/** Current snapshot format version. */
export const SNAPSHOT_VERSION = 1;
/** Size of the fixed header. */
export const SNAPSHOT_HEADER_SIZE = 48;
/** Size of the per-entry header (lengths + expiry). */
export const SNAPSHOT_ENTRY_HEADER_SIZE = 16;
/** Size of the CRC trailer. */
export const SNAPSHOT_TRAILER_SIZE = 4;

/** One key-value pair in a snapshot. */
export interface SnapshotEntry {
  key: Uint8Array;
  value: Uint8Array;
  /** Unix ms; 0 = never expires. */
  expiresAt: number;
}

/** An entry to write: the value may still be a string (written as UTF-8). */
export interface SnapshotEntryInput {
  key: Uint8Array;
  value: Uint8Array | string;
  /** Unix ms; 0 = never expires. */
  expiresAt: number;
}

/** What a snapshot header says. */
export interface SnapshotHeader {
  version: number;
  position: Position;
  entries: number;
  createdAt: number;
}

/** Bytes one entry occupies in the file. */
export function snapshotEntrySize(entry: SnapshotEntryInput): number {
  return SNAPSHOT_ENTRY_HEADER_SIZE + entry.key.byteLength + valueLength(entry.value);
}

function valueLength(value: Uint8Array | string): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}

/** Encodes the fixed header. */
export function encodeSnapshotHeader(header: Omit<SnapshotHeader, 'version'>): Uint8Array {
  const bytes = new Uint8Array(SNAPSHOT_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes.set(SNAPSHOT_MAGIC, 0);
  view.setUint32(8, SNAPSHOT_VERSION, true);
  view.setUint32(12, 0, true);
  view.setBigUint64(16, BigInt(header.position.segmentId), true);
  view.setBigUint64(24, BigInt(header.position.offset), true);
  view.setBigUint64(32, BigInt(header.entries), true);
  view.setBigUint64(40, BigInt(header.createdAt), true);
  return bytes;
}

/**
 * Encodes entries into `target` starting at `offset`; returns the offset after the last one.
 * `target` must have room (see {@link snapshotEntrySize}).
 */
export function encodeSnapshotEntries(entries: readonly SnapshotEntryInput[], target: Uint8Array, offset: number): number {
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  const buffer = Buffer.from(target.buffer, target.byteOffset, target.byteLength);
  let at = offset;
  for (const entry of entries) {
    const { key, value } = entry;
    view.setUint32(at, key.byteLength, true);
    view.setBigUint64(at + 8, BigInt(entry.expiresAt), true);
    target.set(key, at + SNAPSHOT_ENTRY_HEADER_SIZE);
    const valueAt = at + SNAPSHOT_ENTRY_HEADER_SIZE + key.byteLength;
    let length: number;
    if (typeof value === 'string') length = buffer.write(value, valueAt, 'utf8');
    else {
      target.set(value, valueAt);
      length = value.byteLength;
    }
    view.setUint32(at + 4, length, true);
    at = valueAt + length;
  }
  return at;
}

/** Encodes the CRC trailer for the given running checksum. */
export function encodeSnapshotTrailer(checksum: number): Uint8Array {
  const bytes = new Uint8Array(SNAPSHOT_TRAILER_SIZE);
  new DataView(bytes.buffer).setUint32(0, checksum >>> 0, true);
  return bytes;
}

/** Encodes a complete snapshot in one buffer (small snapshots, tests). */
export function encodeSnapshot(position: Position, entries: readonly SnapshotEntryInput[], createdAt: number): Uint8Array {
  let size = SNAPSHOT_HEADER_SIZE + SNAPSHOT_TRAILER_SIZE;
  for (const entry of entries) size += snapshotEntrySize(entry);
  const bytes = new Uint8Array(size);
  bytes.set(encodeSnapshotHeader({ position, entries: entries.length, createdAt }), 0);
  const end = encodeSnapshotEntries(entries, bytes, SNAPSHOT_HEADER_SIZE);
  bytes.set(encodeSnapshotTrailer(crc32c(bytes.subarray(0, end))), end);
  return bytes;
}

function corrupt(name: string, detail: string): KvError {
  return new KvError('ERR_SNAPSHOT_CORRUPT', `snapshot ${name} is corrupt: ${detail}`);
}

/**
 * Decodes and verifies a snapshot file. Calls `onEntry` for every entry in file order (with its
 * index and the total count). `value` is a copy the caller may keep; `key` is a view into
 * `bytes` (copy it to keep it beyond `bytes`). Throws `ERR_SNAPSHOT_VERSION` for an unknown
 * version and `ERR_SNAPSHOT_CORRUPT` for a bad magic, length or checksum.
 */
export function decodeSnapshot(bytes: Uint8Array, name: string, onEntry: (entry: SnapshotEntry, index: number, total: number) => void): SnapshotHeader {
  if (bytes.byteLength < SNAPSHOT_HEADER_SIZE + SNAPSHOT_TRAILER_SIZE) {
    throw corrupt(name, `${bytes.byteLength} bytes is shorter than the ${SNAPSHOT_HEADER_SIZE + SNAPSHOT_TRAILER_SIZE}-byte minimum`);
  }
  for (let i = 0; i < SNAPSHOT_MAGIC.length; i++) {
    if (bytes[i] !== SNAPSHOT_MAGIC[i]) throw corrupt(name, 'bad magic (not a nori-kv snapshot)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION) {
    throw new KvError('ERR_SNAPSHOT_VERSION', `snapshot ${name} has format version ${version}; this build reads version ${SNAPSHOT_VERSION}`);
  }
  const end = bytes.byteLength - SNAPSHOT_TRAILER_SIZE;
  const stored = view.getUint32(end, true);
  const actual = crc32c(bytes.subarray(0, end)) >>> 0;
  if (stored !== actual) {
    throw corrupt(name, `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);
  }
  const header: SnapshotHeader = {
    version,
    position: { segmentId: Number(view.getBigUint64(16, true)), offset: Number(view.getBigUint64(24, true)) },
    entries: Number(view.getBigUint64(32, true)),
    createdAt: Number(view.getBigUint64(40, true)),
  };
  let at = SNAPSHOT_HEADER_SIZE;
  for (let index = 0; index < header.entries; index++) {
    if (at + SNAPSHOT_ENTRY_HEADER_SIZE > end) throw corrupt(name, `entry ${index} runs past the end of the file`);
    const keyLength = view.getUint32(at, true);
    const valueLength = view.getUint32(at + 4, true);
    const expiresAt = Number(view.getBigUint64(at + 8, true));
    at += SNAPSHOT_ENTRY_HEADER_SIZE;
    if (at + keyLength + valueLength > end) throw corrupt(name, `entry ${index} runs past the end of the file`);
    const key = bytes.subarray(at, at + keyLength);
    at += keyLength;
    const value = bytes.slice(at, at + valueLength);
    at += valueLength;
    onEntry({ key, value, expiresAt }, index, header.entries);
  }
  if (at !== end) throw corrupt(name, `${end - at} unexpected bytes after the last entry`);
  return header;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
