import type { Storage, StorageFile } from '@nori/storage';
import { BATCH_INTENT_FILE, readIntentFile, type BatchExtent } from './batch-intent.js';
import { monotonicMs } from './clock.js';
import { WalError } from './errors.js';
import { hook } from './observer.js';
import { throwIfAborted } from './options.js';
import { parseSegmentName, segmentName } from './segment-name.js';
import {
  SEALED_TAIL_WINDOW,
  checkSealedSegment,
  snapshotSealedLog,
  type SealedEntry,
  type SealedLogContent,
  type SealedMismatch,
} from './sealed-segments.js';
import { DEFAULT_CHUNK_SIZE, SegmentScanner } from './segment-scanner.js';
import { copyRange, dataEnd, isZeroRange, scanRegion, truncateDurably, zeroRange } from './segment-io.js';
import { classifyDamage } from './walk/end-of-data.js';
import {
  MAX_SKIPPED_REGIONS,
  SKIPPED_REGIONS_FILE,
  readSkippedRegions,
  spanKey,
  writeSkippedRegions,
  type SkippedSpan,
} from './skipped-regions.js';
import type { CorruptionInfo, RecoveryMode, RecoveryReport, WalObserver } from './types.js';

/** Folder (inside the WAL directory) that receives bytes and segments recovery moved away. */
export const QUARANTINE_DIR = 'quarantine';
/** Read size of recovery's double-buffered scan: two of these in memory, one {@link DEFAULT_CHUNK_SIZE} in all. */
const RECOVERY_CHUNK_SIZE = DEFAULT_CHUNK_SIZE / 2;

/** A segment as recovery left it. */
export interface RecoveredSegment {
  id: number;
  /** Logical size: bytes of valid records (readers never read past it). */
  size: number;
  /** Length of the file on disk (may include a preallocated zero tail). */
  fileSize: number;
  /** Valid records recovery counted in it (skipped regions excluded). */
  records: number;
  /**
   * The segment holds bytes salvage skipped: nothing may be appended to it (a writable open starts
   * the next segment instead), so a tool that truncates at the damage (Rust nori-wal) can only
   * cut records that the full copy salvage made in `quarantine/` also holds.
   */
  sealed: boolean;
}

/** A region salvage recovery skipped inside a segment. */
export interface SkippedRegion {
  from: number;
  to: number;
}

/** Everything `Wal.open` needs from recovery. */
export interface RecoveryResult {
  report: RecoveryReport;
  segments: RecoveredSegment[];
  /** Salvage: damaged regions inside segments, by segment id, that readers jump over. */
  skips: Map<number, SkippedRegion[]>;
  /** Skipped regions in effect (known ones still present plus new ones), in log order. */
  regions: SkippedSpan[];
  /** Regions this recovery's salvage found (their bytes get a copy in `quarantine/`). */
  freshRegions: SkippedSpan[];
  /** True when `regions` differs from what `salvaged.json` holds (it must be rewritten before the log grows). */
  regionsChanged: boolean;
  /** Entries of `sealed.log` still true after recovery; `changed`: the file must be rewritten to them. */
  sealed: { entries: SealedEntry[]; changed: boolean; exists: boolean };
}

/** Recovery options (resolved config subset). */
export interface RecoveryOptions {
  mode: RecoveryMode;
  /**
   * Largest record recovery reads ({@link MAX_RECORD_SIZE_LIMIT} for `Wal.open`): `maxRecordSize`
   * only limits what is written, so a log written with a larger limit (or by Rust) opens whole.
   */
  readLimit: number;
  readOnly: boolean;
  /** Keep a zero-filled tail of the last segment as preallocated space. */
  keepZeroTail: boolean;
  /** Most regions salvage records (default {@link MAX_SKIPPED_REGIONS}; lower in tests). */
  maxSkippedRegions?: number;
  observer: WalObserver | undefined;
  /**
   * Checked before each segment: recovery stops with `ERR_ABORTED`. Every step recovery takes is
   * crash-safe on its own, so stopping between segments leaves what a crash there would leave.
   */
  signal?: AbortSignal | undefined;
}

type CorruptionAction = 'truncated' | 'quarantined' | 'skipped' | 'failed';

class Recovery {
  private readonly scanner: SegmentScanner;
  private readonly report: RecoveryReport;
  private readonly segments: RecoveredSegment[] = [];
  private readonly skips = new Map<number, SkippedRegion[]>();
  private readonly start = monotonicMs();
  private readonly quarantineNames = new Set<string>();
  private dirChanged = false;
  private quarantineReady = false;
  private readonly onCorruption: WalObserver['onCorruption'];
  /** Regions listed in `salvaged.json`. */
  private known: SkippedSpan[] = [];
  /** Regions in effect after this recovery (honoured known ones and new ones), in log order. */
  private readonly effective: SkippedSpan[] = [];
  private readonly effectiveKeys = new Set<string>();
  private readonly fresh: SkippedSpan[] = [];
  /** Entries of `sealed.log` by segment id. */
  private sealed = new Map<number, SealedEntry>();
  /** Sealed segments found changed since they were sealed (their entries are dropped). */
  private readonly changedSealed = new Set<number>();

  constructor(
    private readonly storage: Storage,
    private readonly options: RecoveryOptions,
  ) {
    // Double-buffered: the next chunk is read while this one is checked (reads and CRCs overlap).
    // Two half-size chunks hold as much memory as one full chunk did.
    this.scanner = new SegmentScanner({ maxRecordSize: options.readLimit, doubleBuffered: true, chunkSize: RECOVERY_CHUNK_SIZE });
    this.onCorruption = hook(options.observer, 'onCorruption');
    this.report = {
      mode: options.mode,
      records: 0,
      segments: 0,
      bytesScanned: 0,
      bytesTruncated: 0,
      tail: 'none',
      corruptions: [],
      quarantined: [],
      skipped: [],
      batchesRolledBack: 0,
      lastPosition: { segmentId: 0, offset: 0 },
      durationMs: 0,
      readOnly: options.readOnly,
    };
  }

  async run(): Promise<RecoveryResult> {
    // Its size is taken before the listing: every entry read has its successor in the listing.
    const sealedSnapshot = await snapshotSealedLog(this.storage);
    const names = await this.storage.list();
    const ids = names
      .map(parseSegmentName)
      .filter((id): id is number => id !== undefined)
      .sort((a, b) => a - b);
    const sealed = await sealedSnapshot.read(ids.length);
    this.sealed = new Map(sealed.entries.map((entry) => [entry.id, entry]));
    const intent = await readIntentFile(this.storage);
    this.known = await readSkippedRegions(this.storage);

    let stopped = false;
    for (let index = 0; index < ids.length && !stopped; index++) {
      throwIfAborted(this.options.signal, 'recovery');
      const id = ids[index] as number;
      const previous = index > 0 ? (ids[index - 1] as number) : undefined;
      if (previous !== undefined && id !== previous + 1 && !this.knownGap(previous, id)) {
        stopped = await this.missingSegments(previous, id, ids.slice(index));
        if (stopped) break;
      }
      stopped = await this.recoverSegment(id, index === ids.length - 1, ids.slice(index + 1));
    }
    if (!stopped) this.missingAtEnd(ids, sealed.entries);

    await this.rollBackPartialBatches(intent.extents);
    if (!this.options.readOnly && intent.size > 0) {
      const file = await this.storage.open(BATCH_INTENT_FILE);
      try {
        await truncateDurably(file, 0);
      } finally {
        await file.close();
      }
    }
    if (this.dirChanged && !this.options.readOnly) {
      if (this.report.quarantined.length > 0) await this.storage.syncDir(QUARANTINE_DIR);
      await this.storage.syncDir();
    }

    const last = this.segments[this.segments.length - 1];
    this.report.segments = this.segments.length;
    this.report.lastPosition =
      last === undefined
        ? { segmentId: 0, offset: 0 }
        : last.sealed
          ? { segmentId: last.id + 1, offset: 0 }
          : { segmentId: last.id, offset: last.size };
    if (this.report.tail === 'none' && last !== undefined) this.report.tail = 'clean';
    this.report.durationMs = monotonicMs() - this.start;
    const knownKeys = new Set(this.known.map(spanKey));
    const regionsChanged = knownKeys.size !== this.effectiveKeys.size || [...knownKeys].some((key) => !this.effectiveKeys.has(key));
    return {
      report: this.report,
      segments: this.segments,
      skips: this.skips,
      regions: this.effective,
      freshRegions: this.fresh,
      regionsChanged,
      sealed: this.sealedAfter(sealed),
    };
  }

  /**
   * The entries still true: segments present (not the last: it is appended to next), unchanged
   * since sealed and of the same length. Entries of deleted front segments, of quarantined or
   * damaged ones are dropped, so the damage is reported once.
   */
  private sealedAfter(content: SealedLogContent): RecoveryResult['sealed'] {
    const last = this.segments[this.segments.length - 1];
    const present = new Map(this.segments.map((s) => [s.id, s]));
    const entries = content.entries.filter((entry) => {
      const segment = present.get(entry.id);
      return segment !== undefined && segment !== last && !this.changedSealed.has(entry.id) && segment.size === entry.length;
    });
    return { entries, changed: content.torn || entries.length !== content.entries.length, exists: content.exists };
  }

  /**
   * The segment after the last sealed one was created before its entry was written: if it (or a
   * later one) is gone, segments were deleted at the end of the log.
   */
  private missingAtEnd(ids: readonly number[], entries: readonly SealedEntry[]): void {
    const lastSealed = entries[entries.length - 1];
    if (lastSealed === undefined) return;
    const first = ids[0];
    const last = ids[ids.length - 1];
    // Entries below the first segment are not a hole: GC (or an operator) removed the front.
    if (first !== undefined && lastSealed.id < first) return;
    if (last !== undefined && last > lastSealed.id) return;
    const from = (last ?? -1) + 1;
    const to = lastSealed.id + 1;
    const info: CorruptionInfo = {
      segmentId: from,
      offset: 0,
      reason: `missing segment(s) ${segmentName(from)}..${segmentName(to)} at the end of the log (listed as sealed, or created, in sealed.log)`,
    };
    this.report.corruptions.push(info);
    if (this.options.mode === 'strict') {
      this.emitCorruption(info, 'failed');
      throw new WalError('ERR_CORRUPTION', `strict recovery: ${info.reason}; nothing was modified`);
    }
    this.emitCorruption(info, this.options.mode === 'salvage' ? 'skipped' : 'truncated');
  }

  /**
   * A sealed segment that changed since it was sealed (cut, zeroed, overwritten, grown): damage at
   * the end of what can still be trusted, handled like mid-log corruption. Returns true when
   * recovery stops here, false when it goes on with the next segment, undefined when the damage
   * is one the scan sees itself (the segment is then scanned as usual: salvage resyncs past it).
   */
  private async recoverChangedSealed(
    file: StorageFile,
    segment: RecoveredSegment,
    mismatch: SealedMismatch,
    isLast: boolean,
    later: number[],
  ): Promise<boolean | undefined> {
    const { id } = segment;
    this.changedSealed.add(id);
    let scan = await scanRegion(this.scanner, file, 0, mismatch.trustedEnd);
    // Bytes after a sealed end are never read as records, whatever they hold.
    if (scan.status !== 'end' && mismatch.kind !== 'longer') return undefined;
    if (scan.status === 'end' && mismatch.kind === 'tail') {
      // Only the last bytes differ and every record before parses: the record covering the
      // start of the tail window is where the change begins.
      scan = await scanRegion(this.scanner, file, 0, mismatch.trustedEnd - Math.min(mismatch.trustedEnd, SEALED_TAIL_WINDOW));
    }
    const bad = scan.end;
    this.report.records += scan.records;
    segment.records = scan.records;
    const info: CorruptionInfo = { segmentId: id, offset: bad, reason: `sealed segment ${segmentName(id)}: ${mismatch.reason}` };
    this.report.corruptions.push(info);
    if (this.options.mode === 'strict') {
      this.emitCorruption(info, 'failed');
      throw new WalError('ERR_CORRUPTION', `strict recovery: ${info.reason} (at offset ${bad}); nothing was modified`);
    }
    if (this.options.mode === 'salvage') {
      segment.size = bad;
      this.keep({ from: { segmentId: id, offset: bad }, to: { segmentId: later[0] ?? id + 1, offset: 0 } }, true);
      this.emitCorruption(info, 'skipped');
      return false;
    }
    segment.fileSize = await this.quarantineBytes(file, id, bad, segment.fileSize, isLast);
    segment.size = bad;
    this.emitCorruption(info, 'quarantined');
    if (later.length > 0) await this.quarantineSegments(later);
    return true;
  }

  /** A gap in segment ids that a known cross-segment region (already honoured) explains. */
  private knownGap(previous: number, next: number): boolean {
    return this.known.some((r) => r.from.segmentId === previous && r.to.segmentId === next && this.effectiveKeys.has(spanKey(r)));
  }

  /** Adds a region to the effective list (and the report, and the readers' skip map). */
  private keep(span: SkippedSpan, fresh: boolean): void {
    const key = spanKey(span);
    if (this.effectiveKeys.has(key)) return;
    const max = this.options.maxSkippedRegions ?? MAX_SKIPPED_REGIONS;
    if (this.effective.length >= max) {
      throw new WalError(
        'ERR_CORRUPTION',
        `salvage found more than ${max} damaged regions (next one in ${segmentName(span.from.segmentId)} at offset ` +
          `${span.from.offset}): too damaged to list in ${SKIPPED_REGIONS_FILE}; nothing was recorded. Copy the readable ` +
          `records out with "nori-wal dump" instead`,
      );
    }
    this.effectiveKeys.add(key);
    this.effective.push(span);
    if (fresh) this.fresh.push(span);
    this.report.skipped.push({ from: { ...span.from }, to: { ...span.to } });
    if (span.from.segmentId === span.to.segmentId) this.addSkip(span.from.segmentId, span.from.offset, span.to.offset);
    const segment = this.segments.find((s) => s.id === span.from.segmentId);
    if (segment !== undefined) segment.sealed = true;
  }

  /** A known region is met again: skip it (strict refuses a log with holes). */
  private honour(span: SkippedSpan): void {
    if (this.options.mode === 'strict') {
      throw new WalError(
        'ERR_CORRUPTION',
        `strict recovery: ${segmentName(span.from.segmentId)} has a region salvage skipped at offset ${span.from.offset} ` +
          `(listed in ${SKIPPED_REGIONS_FILE}); the log has a hole; nothing was modified`,
      );
    }
    this.keep(span, false);
  }

  /** Scans one segment; returns true when recovery stops here (later segments handled). */
  private async recoverSegment(id: number, isLast: boolean, later: number[]): Promise<boolean> {
    const name = segmentName(id);
    const file = await this.storage.open(name, { readOnly: this.options.readOnly });
    try {
      const fileSize = await file.size();
      this.report.bytesScanned += fileSize;
      const segment: RecoveredSegment = { id, size: fileSize, fileSize, records: 0, sealed: false };
      this.segments.push(segment);
      const entry = this.sealed.get(id);
      if (entry !== undefined) {
        const mismatch = await checkSealedSegment(file, fileSize, entry, (from) => isZeroRange(file, from, fileSize));
        const handled = mismatch === undefined ? undefined : await this.recoverChangedSealed(file, segment, mismatch, isLast, later);
        if (handled !== undefined) return handled;
      }
      // Regions salvage skipped before (salvaged.json) that still fit this file, in order.
      const known = this.known
        .filter((r) => r.from.segmentId === id && r.to.segmentId === id && r.to.offset <= fileSize)
        .sort((a, b) => a.from.offset - b.from.offset);
      const cuts = this.known.filter((r) => r.from.segmentId === id && r.to.segmentId > id && r.from.offset <= fileSize);
      const cutAt = cuts.length === 0 ? undefined : Math.min(...cuts.map((r) => r.from.offset));
      let nextKnown = 0;
      let from = 0;
      for (;;) {
        while (nextKnown < known.length && (known[nextKnown] as SkippedSpan).from.offset < from) nextKnown++;
        const region = known[nextKnown];
        const stop = region !== undefined ? region.from.offset : (cutAt ?? fileSize);
        const scan = await scanRegion(this.scanner, file, from, stop);
        this.report.records += scan.records;
        segment.records += scan.records;
        if (scan.status === 'end') {
          if (region !== undefined) {
            this.honour(region);
            nextKnown++;
            from = region.to.offset;
            continue;
          }
          if (cutAt !== undefined) {
            for (const cut of cuts) if (cut.from.offset === cutAt) this.honour(cut);
            segment.size = cutAt;
            segment.sealed = true;
            return false;
          }
          // scan.end is the file's length, or less when a live writer trimmed its preallocated
          // tail while a read-only recovery read it: never claim bytes the file no longer has.
          segment.size = scan.end;
          segment.fileSize = Math.min(fileSize, scan.end);
          return false;
        }
        const bad = scan.end;
        const reason = scan.reason ?? 'corrupt';
        if (reason === 'too-large' && bad + scan.claimed <= fileSize && this.options.mode !== 'salvage') {
          // Every byte of the record is there: it is too large to read, not damaged.
          throw this.tooLarge(name, bad, scan.claimed);
        }
        // Zeros inside what a sealed segment held are a zeroed segment, not preallocated space.
        const sealedData = entry !== undefined && bad < entry.length;
        const found = await classifyDamage(file, bad, {
          limit: cutAt ?? fileSize,
          fileSize,
          maxRecordSize: this.options.readLimit,
          zeroTail: !sealedData,
        });
        if (found.kind === 'zero-tail') {
          // Zero-filled tail: preallocated space (or an unfinished trim), never corruption.
          segment.size = bad;
          if (isLast && this.report.tail === 'none') this.report.tail = 'zero-filled';
          if (!(isLast && this.options.keepZeroTail)) {
            this.report.bytesTruncated += fileSize - bad;
            segment.fileSize = bad;
            if (!this.options.readOnly) await this.truncate(file, bad);
          }
          return false;
        }
        // Nothing after a known cut can start a record: the cut says it is garbage.
        let next = found.kind === 'corrupt' ? found.resumeAt : -1;
        if (this.options.readOnly && (await this.recordAt(file, bad, stop))) {
          // A live writer finished the record while we read it (a read can see half a write):
          // valid now, so not damage. Writes land in order, so a record resync saw after the damage
          // means this one is complete by now.
          from = bad;
          continue;
        }
        // New damage that runs into known regions swallows them.
        while (next >= 0 && nextKnown < known.length && (known[nextKnown] as SkippedSpan).from.offset <= next) {
          next = Math.max(next, (known[nextKnown] as SkippedSpan).to.offset);
          nextKnown++;
        }
        // Later segments that hold nothing (created by a rotation just before the crash) do not
        // make this one less of a tail.
        // A sealed segment was complete and fsynced before its entry: it never ends in a torn write.
        if (next < 0 && entry === undefined && (isLast || (await this.allEmpty(later)))) {
          // Damage with nothing valid after it at the end of the log: a torn write.
          if (this.options.mode === 'strict') {
            throw new WalError(
              'ERR_CORRUPTION',
              `strict recovery: torn tail in ${name} at offset ${bad} (${reason}); nothing was modified`,
            );
          }
          this.report.tail = 'torn';
          this.report.bytesTruncated += fileSize - bad;
          segment.size = bad;
          segment.fileSize = bad;
          if (!this.options.readOnly) await this.truncate(file, bad);
          return false;
        }
        // Damage followed by valid records (or in a segment that is not the last): corruption.
        const info: CorruptionInfo = { segmentId: id, offset: bad, reason };
        this.report.corruptions.push(info);
        if (this.options.mode === 'strict') {
          this.emitCorruption(info, 'failed');
          throw new WalError(
            'ERR_CORRUPTION',
            `strict recovery: corruption in ${name} at offset ${bad} (${reason}); nothing was modified`,
          );
        }
        if (this.options.mode === 'salvage') {
          if (next >= 0) {
            this.keep({ from: { segmentId: id, offset: bad }, to: { segmentId: id, offset: next } }, true);
            this.emitCorruption(info, 'skipped');
            from = next;
            continue;
          }
          // Nothing valid in the rest of this (not last) segment: the segment ends here for readers.
          segment.size = bad;
          const nextId = later[0] ?? id + 1;
          this.keep({ from: { segmentId: id, offset: bad }, to: { segmentId: nextId, offset: 0 } }, true);
          this.emitCorruption(info, 'skipped');
          return false;
        }
        // point-in-time, and tolerate-tail for damage that is not a plain torn tail.
        segment.fileSize = await this.quarantineBytes(file, id, bad, fileSize, isLast);
        segment.size = bad;
        this.emitCorruption(info, 'quarantined');
        if (later.length > 0) await this.quarantineSegments(later);
        return true;
      }
    } finally {
      await file.close();
    }
  }

  /** A record above the read limit whose bytes are all present: refuse to open, never quarantine it. */
  private tooLarge(name: string, offset: number, claimed: number): WalError {
    return new WalError(
      'ERR_RECORD_TOO_LARGE',
      `${name} holds a record of ${claimed} bytes at offset ${offset}, above the ${this.options.readLimit}-byte limit nori reads ` +
        `(MAX_RECORD_SIZE_LIMIT; raising maxRecordSize does not help); nothing was modified: read it with a tool without that limit, ` +
        `or open with recovery 'salvage' to skip it`,
    );
  }

  /** True when a valid record starts at `offset` (read afresh). */
  private async recordAt(file: StorageFile, offset: number, limit: number): Promise<boolean> {
    return (await scanRegion(this.scanner, file, offset, limit)).records > 0;
  }

  /** Crash-safe truncation: truncate + fdatasync now, a directory fsync at the end of recovery. */
  private async truncate(file: StorageFile, length: number): Promise<void> {
    await truncateDurably(file, length);
    this.dirChanged = true;
  }

  /** True when every segment in `ids` is empty or all zeros. */
  private async allEmpty(ids: number[]): Promise<boolean> {
    for (const id of ids) {
      const file = await this.storage.open(segmentName(id), { readOnly: true });
      try {
        if (!(await isZeroRange(file, 0, await file.size()))) return false;
      } finally {
        await file.close();
      }
    }
    return true;
  }

  /** Segment ids jump from `previous` to `next`: a whole segment is missing mid-log. */
  private async missingSegments(previous: number, next: number, remaining: number[]): Promise<boolean> {
    const info: CorruptionInfo = {
      segmentId: previous + 1,
      offset: 0,
      reason: `missing segment(s) ${segmentName(previous + 1)}..${segmentName(next - 1)}`,
    };
    this.report.corruptions.push(info);
    if (this.options.mode === 'strict') {
      this.emitCorruption(info, 'failed');
      throw new WalError('ERR_CORRUPTION', `strict recovery: ${info.reason}; nothing was modified`);
    }
    if (this.options.mode === 'salvage') {
      const prior = this.segments[this.segments.length - 1];
      this.keep({ from: { segmentId: previous, offset: prior?.size ?? 0 }, to: { segmentId: next, offset: 0 } }, true);
      this.emitCorruption(info, 'skipped');
      return false;
    }
    await this.quarantineSegments(remaining);
    this.emitCorruption(info, 'quarantined');
    return true;
  }

  private addSkip(id: number, from: number, to: number): void {
    const list = this.skips.get(id);
    if (list === undefined) this.skips.set(id, [{ from, to }]);
    else list.push({ from, to });
  }

  private emitCorruption(info: CorruptionInfo, action: CorruptionAction): void {
    if (this.onCorruption !== undefined) this.onCorruption({ ...info, action });
  }

  private async quarantineName(base: string): Promise<string> {
    let candidate = `${QUARANTINE_DIR}/${base}`;
    for (let n = 1; this.quarantineNames.has(candidate) || (await this.storage.exists(candidate)); n++) {
      candidate = `${QUARANTINE_DIR}/${base}.${n}`;
    }
    this.quarantineNames.add(candidate);
    return candidate;
  }

  /**
   * Moves `[from, end of data)` of a segment to `quarantine/NNNNNN.wal.at-<from>`; trailing
   * zeros (preallocated space) are not copied. The last segment keeps its preallocated length
   * (the moved bytes are zeroed) when `keepZeroTail`; otherwise the file is truncated at `from`.
   * Returns the file's new length.
   */
  private async quarantineBytes(file: StorageFile, id: number, from: number, fileSize: number, isLast: boolean): Promise<number> {
    const end = await dataEnd(file, from, fileSize);
    const keepLength = isLast && this.options.keepZeroTail;
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
    if (keepLength) {
      await zeroRange(file, from, end);
      return fileSize;
    }
    await this.truncate(file, from);
    return from;
  }

  /** Moves whole segments to `quarantine/`. */
  private async quarantineSegments(ids: number[]): Promise<void> {
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

  /** Creates `quarantine/` and makes its directory entry durable (once per recovery). */
  private async ensureQuarantineDir(): Promise<void> {
    if (this.quarantineReady) return;
    await this.storage.mkdir(QUARANTINE_DIR);
    await this.storage.syncDir();
    this.quarantineReady = true;
  }

  /** A multi-record batch whose extent is only partly present is cut back to its start. */
  private async rollBackPartialBatches(extents: BatchExtent[]): Promise<void> {
    // Latest extents first: rolling one back may expose an earlier partial one.
    for (let i = extents.length - 1; i >= 0; i--) {
      const extent = extents[i] as BatchExtent;
      // Usually the last segment, but a rotation creates the next (empty) segment while the old
      // one's fsync runs: a crash then leaves the partial batch in the one before the last.
      const segment = this.segments.find((s) => s.id === extent.segmentId);
      if (segment === undefined) continue;
      if (segment.size <= extent.start || segment.size >= extent.end) continue;
      const file = await this.storage.open(segmentName(segment.id), { readOnly: this.options.readOnly });
      try {
        const partial = await scanRegion(this.scanner, file, extent.start, segment.size);
        this.report.records -= partial.records;
        segment.records -= partial.records;
        this.report.bytesTruncated += segment.size - extent.start;
        this.report.batchesRolledBack++;
        // Zeros may only follow the data of the last segment; an earlier one is cut to length.
        const keepZeros = this.options.keepZeroTail && segment === this.segments[this.segments.length - 1];
        if (!this.options.readOnly) {
          if (keepZeros) await zeroRange(file, extent.start, segment.size);
          else await this.truncate(file, extent.start);
        }
        if (!keepZeros) segment.fileSize = extent.start;
        segment.size = extent.start;
      } finally {
        await file.close();
      }
    }
  }
}

/**
 * Scans every segment of `storage` and repairs according to `options.mode` (nothing is modified
 * when `readOnly`). See the package README for what each mode does.
 */
export async function recover(storage: Storage, options: RecoveryOptions): Promise<RecoveryResult> {
  return new Recovery(storage, options).run();
}

/** A free name `quarantine/<base>` (`.1`, `.2`, ... appended on collisions). */
async function freeQuarantineName(storage: Storage, base: string): Promise<string> {
  let candidate = `${QUARANTINE_DIR}/${base}`;
  for (let n = 1; await storage.exists(candidate); n++) candidate = `${QUARANTINE_DIR}/${base}.${n}`;
  return candidate;
}

/**
 * Copies the data of every segment with a newly skipped region whole to
 * `quarantine/NNNNNN.wal.salvaged` (trailing preallocated zeros excepted): a tool unaware of
 * `salvaged.json` truncates the segment at the damage, and the records salvage kept after it must
 * survive that.
 */
async function copySalvagedSegments(storage: Storage, fresh: readonly SkippedSpan[]): Promise<string[]> {
  const copies: string[] = [];
  for (const id of new Set(fresh.map((span) => span.from.segmentId))) {
    const name = segmentName(id);
    if (!(await storage.exists(name))) continue;
    const file = await storage.open(name, { readOnly: true });
    try {
      const end = await dataEnd(file, 0, await file.size());
      if (end === 0) continue;
      await storage.mkdir(QUARANTINE_DIR);
      const target = await freeQuarantineName(storage, `${name}.salvaged`);
      await copyRange(storage, file, 0, end, target);
      copies.push(target);
    } finally {
      await file.close();
    }
  }
  return copies;
}

/**
 * Makes the regions salvage skipped permanent, before the log grows past them: each segment with a
 * newly skipped region is copied whole to `quarantine/NNNNNN.wal.salvaged` and the bytes of each
 * region to `quarantine/NNNNNN.wal.skipped-<offset>` (for the operator; the segment keeps them,
 * positions never move), then `salvaged.json` is replaced crash-safely with every region in
 * effect. Resolves with the quarantine copies made.
 */
export async function persistSkippedRegions(
  storage: Storage,
  regions: readonly SkippedSpan[],
  fresh: readonly SkippedSpan[],
): Promise<string[]> {
  const copies = await copySalvagedSegments(storage, fresh);
  for (const span of fresh) {
    const name = segmentName(span.from.segmentId);
    if (!(await storage.exists(name))) continue;
    const file = await storage.open(name, { readOnly: true });
    try {
      // The rest of a segment may end in preallocated zeros: those are not copied.
      const end =
        span.to.segmentId === span.from.segmentId
          ? span.to.offset
          : await dataEnd(file, span.from.offset, await file.size());
      if (end <= span.from.offset) continue;
      await storage.mkdir(QUARANTINE_DIR);
      const target = await freeQuarantineName(storage, `${name}.skipped-${span.from.offset}`);
      await copyRange(storage, file, span.from.offset, end, target);
      copies.push(target);
    } finally {
      await file.close();
    }
  }
  if (copies.length > 0) {
    await storage.syncDir();
    await storage.syncDir(QUARANTINE_DIR);
  }
  await writeSkippedRegions(storage, regions);
  return copies;
}
