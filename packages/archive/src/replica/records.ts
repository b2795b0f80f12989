import { RecordScanner } from '@nori/codec';
import { MAX_RECORD_SIZE_LIMIT, formatPosition, type WalEntry } from '@nori/wal';
import { ArchiveError } from '../errors.js';
import type { ChunkHeader } from '../layout/index.js';

/** A record read from a chunk: a {@link WalEntry} without its sequence number. */
export type ArchivedEntry = Omit<WalEntry, 'index'>;

/**
 * The records of a data chunk's payload (a whole number of records, LAYOUT.md), parsed and
 * CRC-checked by the codec's `RecordScanner` (the building block the WAL's own recovery, which
 * restore relies on, scans with). Keys and values are views into `payload`.
 * @throws ArchiveError `ERR_ARCHIVE_CORRUPT` naming `key` when a record does not verify or the
 *   payload ends inside one.
 */
export function* chunkRecords(header: ChunkHeader, payload: Uint8Array, key: string): Generator<ArchivedEntry, void, undefined> {
  const scanner = new RecordScanner({ maxRecordSize: MAX_RECORD_SIZE_LIMIT });
  scanner.reset(payload);
  for (;;) {
    const status = scanner.next();
    if (status === 'end') return;
    const position = { segmentId: header.segmentId, offset: header.offset + scanner.recordStart };
    if (status !== 'ok') {
      const why =
        status === 'corrupt' ? (scanner.corruptMessage ?? 'corrupt') : scanner.tooLarge ? 'a record larger than the limit' : 'the payload ends inside a record';
      throw new ArchiveError('ERR_ARCHIVE_CORRUPT', `chunk ${key}: the record at ${formatPosition(position)} does not verify (${why})`, { key });
    }
    yield {
      key: scanner.key(),
      value: scanner.value(),
      tombstone: scanner.tombstone,
      ttlMs: scanner.ttlMs,
      compression: scanner.compression,
      position,
      size: scanner.recordSize,
    };
  }
}
