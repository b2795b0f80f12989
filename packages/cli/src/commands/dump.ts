import type { Compression } from '@nori/codec';
import { segmentName } from '@nori/wal/scan';
import { ExitCode } from '../errors.js';
import { encodeBinary, formatBytesSafe, formatCount, formatPosition, printableUtf8, type BinaryEncoding, type LogPosition } from '../format.js';
import { scanLog, type Damage, type LogTail } from '../scan.js';
import { SALVAGED_FILE, describeSalvagedSpan, type SalvagedRegion } from '../salvaged.js';
import { readWalDirectory } from '../wal-dir.js';
import { describeMissing } from './inspect.js';

/** Default `--width`: characters of a key or value shown per record in text output. */
export const DEFAULT_DUMP_WIDTH = 64;

/** A record as `dump` hands it out. `key` and `value` are views valid only during the callback. */
export interface DumpedRecord {
  position: LogPosition;
  /** Encoded size on disk in bytes. */
  size: number;
  key: Uint8Array;
  /** Logical (decompressed) value. */
  value: Uint8Array;
  tombstone: boolean;
  ttlMs: bigint | undefined;
  compression: Compression;
}

/** Receives dumped records in log order. */
export interface DumpSink {
  /** Called per record; return `false` to stop. */
  record(record: DumpedRecord): boolean | void;
  /** Called when damage is skipped (before the records that follow it). */
  damage?(damage: Damage): void;
  /** Called when a known salvaged region is skipped unread (before the records that follow it). */
  salvaged?(region: SalvagedRegion): void;
  /**
   * Called when a live writer's GC deleted a listed segment before dump reached it (its records
   * are not shown; not damage).
   */
  gone?(segmentId: number): void;
  /** Called between read chunks; awaited, so output can apply backpressure. */
  flush?(): Promise<void>;
}

/** Options of {@link dumpWal}. */
export interface DumpOptions {
  /** Start at this record position (as printed by `dump`/`inspect`) instead of the beginning. */
  from?: LogPosition;
  /** Stop after this many records. */
  limit?: number;
  /**
   * @deprecated No effect: records are read up to the format's limit (1 GiB) whatever
   * `maxRecordSize` they were written with, as `@nori/wal` reads them.
   */
  maxRecordSize?: number;
  /** Progress: bytes scanned out of the total. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Outcome of a dump. */
export interface DumpSummary {
  records: number;
  /** Damaged regions that were skipped. */
  corruptions: Damage[];
  /** Known salvaged regions (`salvaged.json`) that were skipped unread; not damage. */
  salvaged: SalvagedRegion[];
  tail: LogTail;
  /** 0, or 3 (`CORRUPT`) when damage was skipped (known salvaged regions are not). A torn tail only warns. */
  exitCode: ExitCode;
}

/**
 * Streams the records of a WAL directory to `sink`, skipping damaged regions (reported through
 * `sink.damage`) so that everything readable is shown. Regions listed in `salvaged.json` are
 * jumped over without reading a byte of them (reported through `sink.salvaged`). Takes no lock
 * and never modifies a file.
 */
export async function dumpWal(dir: string, sink: DumpSink, options: DumpOptions = {}): Promise<DumpSummary> {
  const directory = await readWalDirectory(dir);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let records = 0;
  // Damage as it was shown: a live writer's GC may drop the segments it was in from the scan.
  const shown: Damage[] = [];
  const scan =
    limit <= 0
      ? undefined
      : await scanLog(
          directory,
          {
            checkValues: true,
            ...(options.from === undefined ? {} : { from: options.from }),
            ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          },
          {
            record(scanner, position, value) {
              records += 1;
              const keep = sink.record({
                position,
                size: scanner.recordSize,
                key: scanner.key(),
                value: value ?? scanner.value(),
                tombstone: scanner.tombstone,
                ttlMs: scanner.ttlMs,
                compression: scanner.compression,
              });
              return keep !== false && records < limit;
            },
            damage(damage) {
              shown.push(damage);
              sink.damage?.(damage);
            },
            ...(sink.salvaged === undefined ? {} : { salvaged: sink.salvaged.bind(sink) }),
            ...(sink.gone === undefined ? {} : { gone: sink.gone.bind(sink) }),
            ...(sink.flush === undefined ? {} : { flush: sink.flush.bind(sink) }),
          },
        );
  const corruptions = shown.sort((a, b) => a.segmentId - b.segmentId || a.offset - b.offset);
  return {
    records,
    corruptions,
    salvaged: scan?.salvaged ?? [],
    tail: scan?.tail ?? { kind: 'clean', position: undefined, length: 0, reason: undefined },
    exitCode: corruptions.length > 0 ? ExitCode.CORRUPT : ExitCode.OK,
  };
}

/**
 * One text line for a record: position, `PUT`/`DEL`, key and value shown safely (printable UTF-8
 * in quotes, else `0x` hex), cut to `width` characters (0 = no limit), then the full length when
 * cut, the TTL and the compression.
 */
export function formatRecordLine(record: DumpedRecord, width: number): string {
  const parts = [formatPosition(record.position), record.tombstone ? 'DEL' : 'PUT', `key=${formatBytesSafe(record.key, width)}`];
  const value = formatBytesSafe(record.value, width);
  if (!record.tombstone || record.value.byteLength > 0) parts.push(`value=${value}`);
  if (value.endsWith('…') || value.endsWith('…"')) parts.push(`len=${formatCount(record.value.byteLength)}`);
  if (record.ttlMs !== undefined) parts.push(`ttl=${record.ttlMs}ms`);
  if (record.compression !== 'none') parts.push(record.compression);
  return parts.join('  ');
}

/**
 * One JSON line for a record. Keys and values are `encoding` strings (hex or base64) so any bytes
 * survive; `keyText` is added when the key is printable UTF-8. `ttlMs` is written as an exact
 * integer (u64 values above 2^53 keep every digit) or `null`.
 */
export function recordToJsonLine(record: DumpedRecord, encoding: BinaryEncoding): string {
  const keyText = printableUtf8(record.key);
  return (
    `{"segmentId":${record.position.segmentId},"offset":${record.position.offset},"size":${record.size}` +
    `,"tombstone":${record.tombstone},"ttlMs":${record.ttlMs === undefined ? 'null' : record.ttlMs.toString()}` +
    `,"compression":"${record.compression}","valueLength":${record.value.byteLength}` +
    (keyText === undefined ? '' : `,"keyText":${JSON.stringify(keyText)}`) +
    `,"key":"${encodeBinary(record.key, encoding)}","value":"${encodeBinary(record.value, encoding)}"}`
  );
}

/** One-line stderr warning for a region `dump` skipped. */
export function describeSkipped(damage: Damage): string {
  if (damage.reason === 'missing-segment') return `warning: ${describeMissing(damage)} (gap in segment ids)`;
  return `warning: skipped ${formatCount(damage.length)} damaged bytes at ${formatPosition(damage)} (${damage.reason})`;
}

/** One-line stderr note for a segment a live writer's GC deleted before `dump` reached it. */
export function describeGone(segmentId: number): string {
  return `note: segment ${segmentName(segmentId)} was deleted by the writer's GC before dump reached it; its records are not shown`;
}

/** One-line stderr note for a known salvaged region `dump` skipped (not a warning: not new damage). */
export function describeSkippedSalvaged(region: SalvagedRegion): string {
  return `note: skipped ${formatCount(region.length)} bytes at ${describeSalvagedSpan(region)}: salvaged (known, skipped; listed in ${SALVAGED_FILE})`;
}
