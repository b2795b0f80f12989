import { StorageError, type Storage, type StorageEntry, type StorageEntryKind, tmpNameOf } from '@nori/storage';
import { BATCH_INTENT_FILE } from './batch-intent.js';
import { INDEX_FILE } from './index-file.js';
import { TRUNCATE_INTENT_FILE } from './truncation.js';
import { WalError } from './errors.js';
import { QUARANTINE_DIR } from './recovery.js';
import { parseSegmentName } from './segment-name.js';
import { SEALED_SEGMENTS_FILE, SEALED_SEGMENTS_TMP } from './sealed-segments.js';
import { SKIPPED_REGIONS_FILE, SKIPPED_REGIONS_TMP } from './skipped-regions.js';
import { SPARE_SUFFIX } from './spare-segment.js';

const SIDE_FILES: ReadonlySet<string> = new Set([
  BATCH_INTENT_FILE,
  SKIPPED_REGIONS_FILE,
  SKIPPED_REGIONS_TMP,
  SEALED_SEGMENTS_FILE,
  SEALED_SEGMENTS_TMP,
  INDEX_FILE,
  tmpNameOf(INDEX_FILE),
  TRUNCATE_INTENT_FILE,
  tmpNameOf(TRUNCATE_INTENT_FILE),
]);
const SPARE_NAME = new RegExp(`^\\d{6,}\\.wal${SPARE_SUFFIX.replace('.', '\\.')}$`);

/** The kind the log needs `name` to be, or `undefined` for names the log does not own. */
function ownedKind(name: string): 'file' | 'directory' | undefined {
  if (name === QUARANTINE_DIR) return 'directory';
  if (parseSegmentName(name) !== undefined || SPARE_NAME.test(name) || SIDE_FILES.has(name)) return 'file';
  return undefined;
}

/** A link or special file is never acceptable; a directory only where one is expected. */
function isUnsafe(entry: StorageEntry, expected: 'file' | 'directory'): boolean {
  return entry.kind === 'symlink' || entry.kind === 'other' || (expected === 'file' && entry.kind === 'directory');
}

const KIND_WORDS: Record<StorageEntryKind, string> = {
  file: 'regular file',
  directory: 'directory',
  symlink: 'symbolic link',
  other: 'special file (FIFO, socket or device)',
};

function unsafeEntryError(storage: Storage, entry: StorageEntry, expected: 'file' | 'directory'): WalError {
  const storageCode = entry.kind === 'symlink' ? 'ERR_SYMLINK' : entry.kind === 'directory' ? 'EISDIR' : 'ERR_NOT_REGULAR_FILE';
  const cause = new StorageError(storageCode, `${entry.name}: ${KIND_WORDS[entry.kind]}`, { syscall: 'readdir', path: entry.name });
  return new WalError(
    'ERR_NOT_REGULAR_FILE',
    `${entry.name} in ${storage.description} is a ${KIND_WORDS[entry.kind]}, not a ${KIND_WORDS[expected]}: ` +
      'the WAL never follows links or uses non-regular files for its segments and side files; replace it with the ' +
      'real file (or remove it); nothing was modified',
    { cause },
  );
}

/**
 * Refuses a WAL directory in which a name the log owns (a segment, a spare segment, a side file,
 * `quarantine`) is a link, a special file or a misplaced directory: recovery lists regular files
 * only, so such an entry would be skipped silently and later followed or collide with an append.
 * Storages without `entries()` are not checked (their `open` still refuses links).
 * @throws WalError `ERR_NOT_REGULAR_FILE` naming the entry.
 */
export async function refuseUnsafeEntries(storage: Storage): Promise<void> {
  if (storage.entries === undefined) return;
  for (const entry of await storage.entries()) {
    const expected = ownedKind(entry.name);
    if (expected !== undefined && isUnsafe(entry, expected)) throw unsafeEntryError(storage, entry, expected);
  }
}
