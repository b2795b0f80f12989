import type { Storage, StorageFile } from '@nori/storage';
import { segmentName } from './segment-name.js';
import { copyRange, dataEnd, truncateDurably, zeroRange } from './segment-io.js';
import { writeSkippedRegions, type SkippedSpan } from './skipped-regions.js';
import type { RecoveryReport } from './types.js';

/** Folder (inside the WAL directory) that receives bytes and segments recovery moved away. */
export const QUARANTINE_DIR = 'quarantine';

/** What the executor needs to know about the open. */
export interface ExecutorOptions {
  /** Nothing is modified: the report says what would be done. */
  readOnly: boolean;
  /** Keep a zero-filled tail of the last segment as preallocated space. */
  keepZeroTail: boolean;
}

/**
 * Applies recovery's decisions to the directory: truncates, zeroes, moves bytes and segments to
 * `quarantine/`, and makes every change durable in the crash-safe order. Counts what it cuts in
 * `report` (read-only: what it would cut) and modifies nothing when `readOnly`.
 */
export class RecoveryExecutor {
  private readonly quarantineNames = new Set<string>();
  private dirChanged = false;
  private quarantineReady = false;

  constructor(
    private readonly storage: Storage,
    private readonly options: ExecutorOptions,
    private readonly report: RecoveryReport,
  ) {}

  /** Cuts a segment at `length` (truncate + fdatasync now, the directory fsync in {@link finish}). */
  async truncate(file: StorageFile, length: number): Promise<void> {
    if (this.options.readOnly) return;
    await truncateDurably(file, length);
    this.dirChanged = true;
  }

  /**
   * Removes `[from, end)` of a segment that is not moved anywhere (a torn write, an unfinished
   * batch, preallocated zeros): the last segment keeps its length with the bytes zeroed when it
   * may keep a zero tail (`last`), any other is truncated. Returns the file's new length.
   */
  async cut(file: StorageFile, place: { from: number; end: number; fileSize: number; last: boolean }): Promise<number> {
    const keepLength = place.last && this.options.keepZeroTail;
    if (!keepLength) {
      await this.truncate(file, place.from);
      return place.from;
    }
    if (!this.options.readOnly && place.end > place.from) await zeroRange(file, place.from, place.end);
    return place.fileSize;
  }

  /**
   * Moves `[from, end of data)` of a segment to `quarantine/NNNNNN.wal.at-<from>`; trailing
   * zeros (preallocated space) are not copied. The last segment keeps its preallocated length
   * (the moved bytes are zeroed) when `keepZeroTail`; otherwise the file is truncated at `from`.
   * Returns the file's new length.
   */
  async quarantineBytes(file: StorageFile, id: number, place: { from: number; fileSize: number; last: boolean }): Promise<number> {
    const { from, fileSize } = place;
    const end = await dataEnd(file, from, fileSize);
    const keepLength = place.last && this.options.keepZeroTail;
    this.report.bytesTruncated += keepLength ? end - from : fileSize - from;
    if (end > from) {
      const target = await this.quarantineName(`${segmentName(id)}.at-${from}`);
      this.report.quarantined.push(target);
      if (!this.options.readOnly) {
        await this.ensureQuarantineDir();
        await copyRange(this.storage, file, from, end, target);
        // The copy's directory entry must be durable before the bytes leave the segment: a
        // crash in between would otherwise lose them from both places.
        await this.storage.syncDir(QUARANTINE_DIR);
        this.dirChanged = true;
      }
    }
    if (this.options.readOnly) return keepLength ? fileSize : from;
    return this.cut(file, { from, end, fileSize, last: place.last });
  }

  /** Moves whole segments to `quarantine/`. */
  async quarantineSegments(ids: readonly number[]): Promise<void> {
    let moved = false;
    for (const id of ids) {
      const name = segmentName(id);
      const target = await this.quarantineName(name);
      this.report.quarantined.push(target);
      if (this.options.readOnly) continue;
      await this.ensureQuarantineDir();
      await this.storage.rename(name, target);
      moved = true;
    }
    if (moved) {
      // The new entries first, then the old directory: a crash in between leaves a segment in
      // both places or in its old one, never in neither.
      await this.storage.syncDir(QUARANTINE_DIR);
      await this.storage.syncDir();
    }
  }

  /** Makes the directory changes durable (once, at the end of recovery). */
  async finish(): Promise<void> {
    if (!this.dirChanged || this.options.readOnly) return;
    if (this.report.quarantined.length > 0) await this.storage.syncDir(QUARANTINE_DIR);
    await this.storage.syncDir();
  }

  private async quarantineName(base: string): Promise<string> {
    let candidate = `${QUARANTINE_DIR}/${base}`;
    for (let n = 1; this.quarantineNames.has(candidate) || (await this.storage.exists(candidate)); n++) {
      candidate = `${QUARANTINE_DIR}/${base}.${n}`;
    }
    this.quarantineNames.add(candidate);
    return candidate;
  }

  /** Creates `quarantine/` and makes its directory entry durable (once per recovery). */
  private async ensureQuarantineDir(): Promise<void> {
    if (this.quarantineReady) return;
    await this.storage.mkdir(QUARANTINE_DIR);
    await this.storage.syncDir();
    this.quarantineReady = true;
  }
}

/** A free name `quarantine/<base>` (`.1`, `.2`, ... appended on collisions). */
async function freeQuarantineName(storage: Storage, base: string): Promise<string> {
  let candidate = `${QUARANTINE_DIR}/${base}`;
  for (let n = 1; await storage.exists(candidate); n++) candidate = `${QUARANTINE_DIR}/${base}.${n}`;
  return candidate;
}

/** Copies `[from, end)` of segment `id` to a free `quarantine/` name made of `suffix`; `undefined` when nothing is copied. */
async function copyOut(
  storage: Storage,
  id: number,
  suffix: string,
  range: (file: StorageFile) => Promise<{ from: number; end: number }>,
): Promise<string | undefined> {
  const name = segmentName(id);
  if (!(await storage.exists(name))) return undefined;
  const file = await storage.open(name, { readOnly: true });
  try {
    const { from, end } = await range(file);
    if (end <= from) return undefined;
    await storage.mkdir(QUARANTINE_DIR);
    const target = await freeQuarantineName(storage, `${name}${suffix}`);
    await copyRange(storage, file, from, end, target);
    return target;
  } finally {
    await file.close();
  }
}

/**
 * Makes the regions salvage skipped permanent, before the log grows past them: each segment with a
 * newly skipped region is copied whole to `quarantine/NNNNNN.wal.salvaged` (trailing preallocated
 * zeros excepted: a tool unaware of `salvaged.json` truncates the segment at the damage, and the
 * records salvage kept after it must survive that) and the bytes of each region to
 * `quarantine/NNNNNN.wal.skipped-<offset>` (for the operator; the segment keeps them, positions
 * never move), then `salvaged.json` is replaced crash-safely with every region in effect.
 * Resolves with the quarantine copies made.
 */
export async function persistSkippedRegions(storage: Storage, regions: readonly SkippedSpan[], fresh: readonly SkippedSpan[]): Promise<string[]> {
  const copies: string[] = [];
  for (const id of new Set(fresh.map((span) => span.from.segmentId))) {
    const copy = await copyOut(storage, id, '.salvaged', async (file) => ({ from: 0, end: await dataEnd(file, 0, await file.size()) }));
    if (copy !== undefined) copies.push(copy);
  }
  for (const span of fresh) {
    const { from } = span;
    // The rest of a segment may end in preallocated zeros: those are not copied.
    const copy = await copyOut(storage, from.segmentId, `.skipped-${from.offset}`, async (file) => ({
      from: from.offset,
      end: span.to.segmentId === from.segmentId ? span.to.offset : await dataEnd(file, from.offset, await file.size()),
    }));
    if (copy !== undefined) copies.push(copy);
  }
  if (copies.length > 0) {
    await storage.syncDir();
    await storage.syncDir(QUARANTINE_DIR);
  }
  await writeSkippedRegions(storage, regions);
  return copies;
}
