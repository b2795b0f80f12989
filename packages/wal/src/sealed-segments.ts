import { crc32c } from '@nori/codec';
import type { Storage, StorageFile } from '@nori/storage';
import { WalError, errorCode } from './errors.js';
import { segmentName } from './segment-name.js';
import { readPrefix } from './segment-io.js';

/**
 * Side file describing every segment the writer sealed (rotated away from): a segment's bytes
 * cannot tell that a whole sealed segment, or its end, went missing, this file can. Never inside
 * segments; logs without it (Rust-written) are recovered as before.
 */
export const SEALED_SEGMENTS_FILE = 'sealed.log';
/** Temporary name of {@link SEALED_SEGMENTS_FILE} while it is rewritten (tmp + fsync + rename). */
export const SEALED_SEGMENTS_TMP = `${SEALED_SEGMENTS_FILE}.tmp`;

/** "NSS1" little-endian: first bytes of every entry (layout: codec FORMAT.md, "sealed.log"). */
const SEALED_MAGIC = 0x3153534e;
const AT_MAGIC = 0;
const AT_ID = 4;
const AT_LENGTH = 12;
const AT_RECORDS = 20;
const AT_TAIL_HASH = 28;
const TAIL_HASH_BYTES = 8;
const AT_CRC = 36;
/** Bytes of one entry: fixed, so a torn append only ever damages the last slot. */
export const SEALED_ENTRY_SIZE = 40;
/** The last bytes of a sealed segment covered by {@link SealedEntry.tailHash}. */
export const SEALED_TAIL_WINDOW = 4096;
/**
 * Entries a legitimate file may hold beyond one per segment file present: segments missing at
 * the end of the log (damage to report) and front segments deleted by hand.
 */
export const SEALED_SLACK_ENTRIES = 1024;

/** One sealed segment as the writer left it. */
export interface SealedEntry {
  id: number;
  /** Exact file length (records only: the preallocated tail was trimmed before sealing). */
  length: number;
  /** Records in the segment (sequence numbers will be derived from these). */
  records: number;
  /**
   * First 8 bytes (hex) of the SHA-256 of the last min(length, {@link SEALED_TAIL_WINDOW}) bytes,
   * which hold the last record. Not a CRC32C: bytes ending in whole records with valid CRCs all
   * have the same CRC32C (the CRC residue), so a replaced record would go unnoticed.
   */
  tailHash: string;
}

/** What the file holds, as read by recovery. */
export interface SealedLogContent {
  /** Valid entries, ids strictly increasing. */
  entries: SealedEntry[];
  /** True when the file ended in a torn entry (a crash during an append). */
  torn: boolean;
  /** True when the file exists. */
  exists: boolean;
}

function invalid(message: string): WalError {
  return new WalError(
    'ERR_CORRUPTION',
    `${SEALED_SEGMENTS_FILE} is invalid (${message}); it describes the sealed segments so that a missing or cut one is ` +
      `detected: restore it, or move it away to open the log without that check`,
  );
}

/** Size limit of the file for a directory holding `segmentFiles` segment files (one torn slot included). */
export function sealedLogLimit(segmentFiles: number): number {
  return SEALED_ENTRY_SIZE * (segmentFiles + SEALED_SLACK_ENTRIES + 1);
}

/** Encodes one entry. */
export function encodeSealedEntry(entry: SealedEntry): Uint8Array {
  const bytes = new Uint8Array(SEALED_ENTRY_SIZE);
  const view = new DataView(bytes.buffer);
  view.setUint32(AT_MAGIC, SEALED_MAGIC, true);
  view.setFloat64(AT_ID, entry.id, true);
  view.setFloat64(AT_LENGTH, entry.length, true);
  view.setFloat64(AT_RECORDS, entry.records, true);
  bytes.set(Buffer.from(entry.tailHash, 'hex').subarray(0, TAIL_HASH_BYTES), AT_TAIL_HASH);
  view.setUint32(AT_CRC, crc32c(bytes.subarray(0, AT_CRC)), true);
  return bytes;
}

function decodeEntry(bytes: Uint8Array, at: number): SealedEntry | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, SEALED_ENTRY_SIZE);
  if (view.getUint32(AT_MAGIC, true) !== SEALED_MAGIC) return undefined;
  if (view.getUint32(AT_CRC, true) !== crc32c(bytes.subarray(at, at + AT_CRC))) return undefined;
  const id = view.getFloat64(AT_ID, true);
  const length = view.getFloat64(AT_LENGTH, true);
  const records = view.getFloat64(AT_RECORDS, true);
  const whole = [id, length, records].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!whole) return undefined;
  const tailHash = Buffer.from(bytes.buffer, bytes.byteOffset + at + AT_TAIL_HASH, TAIL_HASH_BYTES).toString('hex');
  return { id, length, records, tailHash };
}

/**
 * Decodes the file's bytes. Only the last slot may be invalid (a torn append); any other invalid
 * entry, or ids that do not increase, make the file invalid.
 * @throws WalError `ERR_CORRUPTION` naming the file.
 */
export function decodeSealedLog(bytes: Uint8Array): { entries: SealedEntry[]; torn: boolean } {
  const entries: SealedEntry[] = [];
  const slots = Math.ceil(bytes.length / SEALED_ENTRY_SIZE);
  for (let slot = 0; slot < slots; slot++) {
    const at = slot * SEALED_ENTRY_SIZE;
    const last = slot === slots - 1;
    const entry = at + SEALED_ENTRY_SIZE <= bytes.length ? decodeEntry(bytes, at) : undefined;
    if (entry === undefined) {
      if (last) return { entries, torn: true };
      throw invalid(`entry ${slot} at offset ${at} is damaged`);
    }
    const previous = entries[entries.length - 1];
    if (previous !== undefined && entry.id <= previous.id) {
      throw invalid(`entry ${slot} (${segmentName(entry.id)}) does not follow ${segmentName(previous.id)}`);
    }
    entries.push(entry);
  }
  return { entries, torn: false };
}

/** An open handle on the file whose size was taken before the directory was listed. */
export interface SealedLogSnapshot {
  /** Reads the entries that existed when the snapshot was taken (then closes the file). */
  read(segmentFiles: number): Promise<SealedLogContent>;
}

/**
 * Opens the file and takes its size. Take it BEFORE listing the directory: an entry is appended
 * only after the next segment exists, so every entry within that size has its successor in the
 * listing (a reader racing a rotation sees no false "missing segment").
 */
export async function snapshotSealedLog(storage: Storage): Promise<SealedLogSnapshot> {
  let file: StorageFile;
  try {
    file = await storage.open(SEALED_SEGMENTS_FILE, { readOnly: true });
  } catch (error) {
    if (errorCode(error) !== 'ERR_NOT_FOUND') throw error;
    return { read: () => Promise.resolve({ entries: [], torn: false, exists: false }) };
  }
  let size: number;
  try {
    size = await file.size();
  } catch (error) {
    await file.close();
    throw error;
  }
  return {
    async read(segmentFiles: number): Promise<SealedLogContent> {
      try {
        const limit = sealedLogLimit(segmentFiles);
        if (size > limit) {
          throw invalid(`${size} bytes, more than the ${limit} bytes that describe ${segmentFiles} segment files`);
        }
        return { ...decodeSealedLog(await readPrefix(file, size)), exists: true };
      } finally {
        await file.close();
      }
    },
  };
}

/** {@link SealedEntry.tailHash} of the bytes of a sealed segment's tail window. */
export function sealedTailHash(window: Uint8Array): string {
  // node:crypto on first use, not at import: it costs a process ~1.5-3 ms of start, and a log
  // without sealed segments (one short-lived process, a small log) never hashes a tail.
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(window).digest().subarray(0, TAIL_HASH_BYTES).toString('hex');
}

/** {@link SealedEntry.tailHash} of a file whose first `length` bytes are a sealed segment (short read: undefined). */
export async function tailHashOf(file: StorageFile, length: number): Promise<string | undefined> {
  const window = Math.min(length, SEALED_TAIL_WINDOW);
  const bytes = new Uint8Array(window);
  let read = 0;
  while (read < window) {
    const n = await file.read(bytes, read, window - read, length - window + read);
    if (n <= 0) return undefined;
    read += n;
  }
  return sealedTailHash(bytes);
}

/** How a sealed segment differs from its entry. */
export interface SealedMismatch {
  /** `shorter`: cut; `tail`: its last bytes changed (zeroed, overwritten); `longer`: data after its sealed end. */
  kind: 'shorter' | 'tail' | 'longer';
  reason: string;
  /** The segment's bytes from 0 up to here may still be trusted (record boundaries permitting). */
  trustedEnd: number;
}

/** Compares a sealed segment with its entry (reads only its last bytes). */
export async function checkSealedSegment(
  file: StorageFile,
  fileSize: number,
  entry: SealedEntry,
  zerosAfter: (from: number) => Promise<boolean>,
): Promise<SealedMismatch | undefined> {
  if (fileSize < entry.length) {
    return { kind: 'shorter', reason: `sealed at ${entry.length} bytes, now ${fileSize}`, trustedEnd: fileSize };
  }
  if ((await tailHashOf(file, entry.length)) !== entry.tailHash) {
    const window = Math.min(entry.length, SEALED_TAIL_WINDOW);
    return { kind: 'tail', reason: `its last ${window} bytes differ from when it was sealed`, trustedEnd: entry.length };
  }
  if (fileSize > entry.length && !(await zerosAfter(entry.length))) {
    return { kind: 'longer', reason: `sealed at ${entry.length} bytes, now ${fileSize} with data after that end`, trustedEnd: entry.length };
  }
  return undefined;
}

/**
 * Replaces the file crash-safely with `entries` (tmp + fsync + rename + directory fsync): after a
 * crash it holds the old entries or the new ones.
 */
export async function writeSealedLog(storage: Storage, entries: readonly SealedEntry[], onRenamed: () => void = () => undefined): Promise<void> {
  const bytes = new Uint8Array(entries.length * SEALED_ENTRY_SIZE);
  entries.forEach((entry, i) => bytes.set(encodeSealedEntry(entry), i * SEALED_ENTRY_SIZE));
  const file = await storage.open(SEALED_SEGMENTS_TMP, { create: true });
  try {
    if ((await file.size()) > 0) await file.truncate(0);
    if (bytes.length > 0) await file.writev([bytes], 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await storage.rename(SEALED_SEGMENTS_TMP, SEALED_SEGMENTS_FILE);
  onRenamed();
  await storage.syncDir();
}

/** Removes a temporary file left by a crash during {@link writeSealedLog}. */
export async function removeStaleSealedTmp(storage: Storage): Promise<void> {
  if (await storage.exists(SEALED_SEGMENTS_TMP)) await storage.remove(SEALED_SEGMENTS_TMP);
}

/**
 * The writer's side: rotation appends an entry (and fsyncs it) before the next segment gets data;
 * GC drops entries before deleting their segments, so the file never lists more than the
 * segments present. Calls are serialised (a rewrite never races an append).
 */
export class SealedLog {
  private chain: Promise<unknown> = Promise.resolve();
  private entries: SealedEntry[];
  private exists: boolean;

  /** `entries`: the file's valid entries; `exists`: whether the file is on disk (it is created on the first seal). */
  constructor(
    private readonly storage: Storage,
    content: { entries: readonly SealedEntry[]; exists: boolean },
  ) {
    this.entries = [...content.entries];
    this.exists = content.exists;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Records that segment `id` (open as `file`, trimmed and fsynced to `length`) is sealed. */
  seal(file: StorageFile, id: number, length: number, records: number): Promise<void> {
    return this.serial(async () => {
      const tailHash = await tailHashOf(file, length);
      if (tailHash === undefined) throw new WalError('ERR_IO', `${segmentName(id)} is shorter than ${length} bytes while sealing it`);
      const entry: SealedEntry = { id, length, records, tailHash };
      const created = !this.exists;
      const log = await this.storage.open(SEALED_SEGMENTS_FILE, { create: true });
      try {
        await log.writev([encodeSealedEntry(entry)], this.entries.length * SEALED_ENTRY_SIZE);
        await log.datasync();
      } finally {
        await log.close();
      }
      // An entry is worth something only if the file survives a crash too.
      if (created) await this.storage.syncDir();
      this.exists = true;
      this.entries.push(entry);
    });
  }

  /** Drops the entries of segments below `id` (GC is about to delete them). */
  forgetBefore(id: number): Promise<void> {
    return this.keepOnly((e) => e.id >= id);
  }

  /** Drops the entries of segment `id` and later ones (`truncateAfter` cuts or deletes them). */
  forgetFrom(id: number): Promise<void> {
    return this.keepOnly((e) => e.id < id);
  }

  private keepOnly(keep: (entry: SealedEntry) => boolean): Promise<void> {
    return this.serial(async () => {
      const kept = this.entries.filter(keep);
      if (kept.length === this.entries.length) return;
      // The next append goes after the entries of the file in place, even if the directory
      // fsync after the rename fails.
      await writeSealedLog(this.storage, kept, () => {
        this.entries = kept;
        this.exists = true;
      });
    });
  }
}
