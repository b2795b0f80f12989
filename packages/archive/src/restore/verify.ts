import type { Storage } from '@nori/storage';
import { Wal, formatPosition, segmentName, type CorruptionInfo, type Position } from '@nori/wal';
import { ArchiveError } from '../errors.js';
import { chunkKey } from '../layout/keys.js';

/** Where one restored data chunk's payload landed. */
export interface ChunkSpan {
  seq: number;
  segmentId: number;
  offset: number;
  length: number;
}

/** What the WAL's own recovery made of the restored segments. */
export interface VerifiedLog {
  /** Just past the last restored record. */
  end: Position;
  records: number;
  /** Bytes of a torn (or zero-filled) tail dropped from the last segment, as a local open would. */
  tailBytesDropped: number;
}

interface VerifyContext {
  storage: Storage;
  prefix: string;
  /** Data chunks written, in seq order (non-empty). */
  spans: readonly ChunkSpan[];
  /** Cut at the last record boundary at or below this position. */
  to?: Position | undefined;
  signal?: AbortSignal | undefined;
}

/** The chunk that holds `place` (the last chunk when none does). */
function chunkAt(spans: readonly ChunkSpan[], place: Position): ChunkSpan {
  const holding = spans.filter((s) => s.segmentId === place.segmentId && s.offset <= place.offset);
  return holding.at(-1) ?? (spans.at(-1) as ChunkSpan);
}

function damaged(context: VerifyContext, damage: CorruptionInfo): ArchiveError {
  const key = chunkKey(context.prefix, chunkAt(context.spans, damage).seq);
  return new ArchiveError(
    'ERR_ARCHIVE_CORRUPT',
    `chunk ${key}: the record at ${formatPosition(damage)} does not verify (${damage.reason}); the chunk's CRC32C matches, so the archived bytes themselves are damaged`,
    { key },
  );
}

/** The last record boundary at or below `to.offset` in segment `to.segmentId`. */
async function boundaryAtOrBelow(wal: Wal, to: Position, signal: AbortSignal | undefined): Promise<number> {
  let boundary = 0;
  for await (const entry of wal.read({ from: { segmentId: to.segmentId, offset: 0 }, ...(signal === undefined ? {} : { signal }) })) {
    const end = entry.position.offset + entry.size;
    if (entry.position.segmentId !== to.segmentId || end > to.offset) break;
    boundary = end;
  }
  // An aborted read ends quietly: never take its early end for the boundary.
  if (signal?.aborted === true) throw new ArchiveError('ERR_ABORTED', 'restore aborted while looking for the cut position', { cause: signal.reason });
  return boundary;
}

/** Shortens (or removes, when nothing is left) the last segment file, durably. */
async function cutSegment(storage: Storage, segmentId: number, length: number): Promise<void> {
  const name = segmentName(segmentId);
  if (length === 0) {
    await storage.remove(name);
  } else {
    const file = await storage.open(name);
    try {
      await file.truncate(length);
      await file.datasync();
    } finally {
      await file.close();
    }
  }
  await storage.syncDir();
}

/**
 * Opens the restored segments with `@nori/wal` (read-only, `tolerate-tail`): every record is
 * checked by the WAL's own recovery. Mid-log damage is `ERR_ARCHIVE_CORRUPT` naming the chunk; a
 * torn tail is dropped as a local open would; `to` cuts at a record boundary. After a cut the
 * result is opened again in `strict` mode, so what is left is verified clean.
 */
export async function verifyRestoredLog(context: VerifyContext): Promise<VerifiedLog> {
  const { storage, spans, to, signal } = context;
  const last = spans.at(-1) as ChunkSpan;
  const written = last.offset + last.length;
  const opened = await Wal.open({ storage, readOnly: true, recovery: 'tolerate-tail', ...(signal === undefined ? {} : { signal }) });
  let logicalEnd: number;
  let end: number;
  try {
    const damage = opened.recovery.corruptions[0];
    if (damage !== undefined) throw damaged(context, damage);
    logicalEnd = (await opened.wal.segments()).at(-1)?.size ?? 0;
    const cut = to !== undefined && to.segmentId === last.segmentId ? await boundaryAtOrBelow(opened.wal, to, signal) : written;
    end = Math.min(logicalEnd, cut);
  } finally {
    await opened.wal.close();
  }
  const result = (records: number): VerifiedLog => ({ end: { segmentId: last.segmentId, offset: end }, records, tailBytesDropped: written - logicalEnd });
  if (end === written) return result(opened.recovery.records);
  await cutSegment(storage, last.segmentId, end);
  if (end === 0 && spans.every((s) => s.segmentId === last.segmentId)) return result(0);
  const { wal, recovery } = await Wal.open({ storage, readOnly: true, recovery: 'strict', ...(signal === undefined ? {} : { signal }) });
  await wal.close();
  return result(recovery.records);
}
