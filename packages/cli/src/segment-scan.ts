import { basename, dirname } from 'node:path';
import type { RecordScanner } from '@nori/codec';
import { NodeFileStorage, type StorageFile } from '@nori/storage';
import { MAX_RECORD_SIZE_LIMIT, type SegmentEnd, walkSegment } from '@nori/wal/scan';
import { NoriCliError, storageFailure } from './errors.js';
import { formatPosition, type LogPosition } from './format.js';
import type { SalvagedRegion, SalvagedSpan } from './salvaged.js';
import type { Damage, RecordVisitor, ScanOptions, SegmentScan } from './scan-types.js';
import type { SegmentFile } from './wal-dir.js';

const DEFAULT_CHUNK = 4 * 1024 * 1024;

/** Opens a segment read-only through `@nori/storage` (a missing file is `ERR_NOT_FOUND`). */
async function openSegment(segment: SegmentFile): Promise<StorageFile> {
  try {
    return await new NodeFileStorage(dirname(segment.path)).open(basename(segment.path), { readOnly: true });
  } catch (error) {
    throw storageFailure(error, segment.path);
  }
}

/** A fresh, empty scan result of `segment` starting at `from`. */
function emptyScan(segment: SegmentFile, from: number): SegmentScan {
  return {
    id: segment.id,
    name: segment.name,
    size: segment.size,
    records: 0,
    tombstones: 0,
    compressed: 0,
    firstOffset: undefined,
    lastOffset: undefined,
    dataEnd: from,
    corruptions: [],
    salvaged: [],
    trailer: undefined,
    stopped: false,
  };
}

/** Throws when `from` is past the end of `segment` or inside a region salvage skipped. */
function checkStart(segment: SegmentFile, from: number, regions: readonly SalvagedSpan[], cut: SalvagedSpan | undefined): void {
  const at = formatPosition({ segmentId: segment.id, offset: from });
  if (from > segment.size) {
    throw new NoriCliError('ERR_BAD_POSITION', `position ${at} is past the end of ${segment.name} (${segment.size} bytes)`);
  }
  const inside =
    regions.find((region) => region.from.offset <= from && from < region.to.offset) ?? (cut !== undefined && from > cut.from.offset ? cut : undefined);
  if (inside !== undefined) {
    throw new NoriCliError(
      'ERR_BAD_POSITION',
      `position ${at} is inside a region salvage skipped ` +
        `(${formatPosition(inside.from)} .. ${formatPosition(inside.to)}): use a position printed by "dump" or "inspect"`,
    );
  }
}

/** `from` is not a record boundary: no record was read and the damage starts right there. */
function badStart(segment: SegmentFile, from: number, reason: string): NoriCliError {
  return new NoriCliError(
    'ERR_BAD_POSITION',
    `no record starts at ${formatPosition({ segmentId: segment.id, offset: from })} (${reason}): use a position printed by "dump" or "inspect"`,
  );
}

/**
 * Scans one segment file record by record, without modifying it, with `@nori/wal`'s segment
 * walker: damage is skipped by searching for the next offset where a record with a valid CRC
 * starts; what follows the last valid record is classified as zeros (preallocated space) or
 * damage. Known salvaged regions (`salvaged`) are jumped over without reading them, as
 * `@nori/wal`'s readers do.
 */
export async function scanSegment(
  segment: SegmentFile,
  visitor: RecordVisitor | undefined,
  options: Omit<ScanOptions, 'from' | 'onProgress'> & { from?: number; onRead?: (fileEnd: number) => void } = {},
): Promise<SegmentScan> {
  const from = options.from ?? 0;
  const result = emptyScan(segment, from);
  const { regions, cut } = knownRegions(segment, options.salvaged ?? []);
  checkStart(segment, from, regions, cut);
  const file = await openSegment(segment);
  const byStart = new Map(regions.map((span) => [span.from.offset, span]));
  const at = (offset: number): LogPosition => ({ segmentId: segment.id, offset });
  try {
    const walk = await walkSegment(
      file,
      {
        start: from,
        fileSize: segment.size,
        maxRecordSize: options.maxRecordSize ?? MAX_RECORD_SIZE_LIMIT,
        chunkSize: Math.max(options.chunkSize ?? DEFAULT_CHUNK, 64),
        skipped: regions.map((span) => ({ from: span.from.offset, to: span.to.offset })),
        ...(cut === undefined ? {} : { cutAt: cut.from.offset }),
        verifyCompressed: options.checkValues === true,
        recheckDamage: true,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
      {
        record: (records, offset) => countRecord(result, visitor, records, at(offset), options.checkValues === true),
        skipped: (span) => skipRegion(result, visitor, byStart.get(span.from) ?? { from: at(span.from), to: at(span.to) }, segment),
        damage: (damage) => {
          if (damage.offset === from && from > 0 && result.records === 0 && damage.reason !== 'decompression-failed' && damage.reason !== 'too-large') {
            throw badStart(segment, from, damage.reason);
          }
          const reason = damage.reason === 'incomplete' ? 'bad-length' : damage.reason;
          const found: Damage = { segmentId: segment.id, offset: damage.offset, length: damage.length, reason };
          result.corruptions.push(found);
          visitor?.damage?.(found);
        },
        progress: async (offset) => {
          options.onRead?.(offset);
          if (visitor?.flush) await visitor.flush();
        },
      },
    );
    finishScan(result, visitor, walk.end, { segment, cut, from });
    result.size = walk.fileSize;
    options.onRead?.(walk.fileSize);
    if (visitor?.flush) await visitor.flush();
    return result;
  } finally {
    await file.close();
  }
}

/** Counts one valid record and hands it to the visitor; false stops the scan. */
function countRecord(result: SegmentScan, visitor: RecordVisitor | undefined, records: RecordScanner, position: LogPosition, checkValues: boolean): boolean {
  const value = checkValues ? records.value() : undefined;
  result.records += 1;
  if (records.tombstone) result.tombstones += 1;
  if (records.compression !== 'none') result.compressed += 1;
  result.firstOffset ??= position.offset;
  result.lastOffset = position.offset;
  result.dataEnd = position.offset + records.recordSize;
  if (visitor?.record(records, position, value) === false) {
    result.stopped = true;
    return false;
  }
  return true;
}

/** Records a known salvaged region the walk jumped over. */
function skipRegion(result: SegmentScan, visitor: RecordVisitor | undefined, span: SalvagedSpan, segment: SegmentFile): void {
  const region: SalvagedRegion = { from: span.from, to: span.to, length: regionEnd(span, segment) - span.from.offset };
  result.salvaged.push(region);
  visitor?.salvaged?.(region);
}

/** Fills in the trailer and data end from how the walk ended. */
function finishScan(
  result: SegmentScan,
  visitor: RecordVisitor | undefined,
  end: SegmentEnd,
  { segment, cut, from }: { segment: SegmentFile; cut: SalvagedSpan | undefined; from: number },
): void {
  if (end.kind === 'cut' && cut !== undefined) skipRegion(result, visitor, cut, segment);
  if (end.kind === 'zero-tail') {
    result.trailer = { kind: 'zeros', offset: end.offset, length: end.length, reason: undefined };
  } else if (end.kind === 'torn') {
    if (end.offset === from && from > 0 && result.records === 0) throw badStart(segment, from, end.reason);
    result.trailer = { kind: 'damaged', offset: end.offset, length: end.length, reason: end.reason };
  }
  if (end.kind !== 'stopped') result.dataEnd = end.offset;
}
/**
 * The known regions that apply to `segment`, as `@nori/wal`'s recovery applies them: regions
 * inside it that still fit the file (sorted), and the earliest region that cuts its end off.
 */
function knownRegions(segment: SegmentFile, salvaged: readonly SalvagedSpan[]): { regions: SalvagedSpan[]; cut: SalvagedSpan | undefined } {
  let cut: SalvagedSpan | undefined;
  for (const span of salvaged) {
    if (span.from.segmentId !== segment.id || span.to.segmentId <= segment.id || span.from.offset > segment.size) continue;
    if (cut === undefined || span.from.offset < cut.from.offset) cut = span;
  }
  const limit = cut?.from.offset ?? segment.size;
  const regions = salvaged
    .filter((span) => span.from.segmentId === segment.id && span.to.segmentId === segment.id && span.to.offset <= limit)
    .sort((a, b) => a.from.offset - b.from.offset || a.to.offset - b.to.offset);
  return { regions, cut };
}

/** Where a known region ends inside `segment` (the end of the file for a region across segments). */
function regionEnd(span: SalvagedSpan, segment: SegmentFile): number {
  return span.to.segmentId === segment.id ? span.to.offset : segment.size;
}
