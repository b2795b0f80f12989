import type { Storage, StorageFile } from '@nori/storage';
import { readIntentFile } from './batch-intent.js';
import { monotonicMs } from './clock.js';
import { WalError } from './errors.js';
import { hook } from './observer.js';
import { throwIfAborted } from './options.js';
import { rollBackPartialBatches } from './recovery-batches.js';
import { RecoveryExecutor } from './recovery-executor.js';
import { decideRecovery, observedAs, type DamageKind, type RecoveryAction } from './recovery-policy.js';
import { SegmentsAhead, type OpenedSegment } from './recovery-ahead.js';
import { RegionLedger } from './recovery-regions.js';
import { missingAtEnd, sealedEntriesAfter } from './recovery-sealed.js';
import { appendsToNextSegment, emptyReport, tooLargeError, type RecoveredSegment, type RecoveryOptions, type RecoveryResult } from './recovery-types.js';
import { parseSegmentName, segmentName } from './segment-name.js';
import { SEALED_TAIL_WINDOW, snapshotSealedLog, type SealedEntry, type SealedLogContent, type SealedMismatch } from './sealed-segments.js';
import { DEFAULT_CHUNK_SIZE, SegmentScanner } from './segment-scanner.js';
import { isZeroRange, scanRegion } from './segment-io.js';
import { SegmentSampler } from './sequence-index.js';
import { walkSegmentWith, type SegmentEnd, type WalkDamage } from './walk/segment-walker.js';
import { SKIPPED_REGIONS_FILE, readSkippedRegions, type SkippedSpan } from './skipped-regions.js';
import type { CorruptionInfo, RecoveryReport, WalObserver } from './types.js';

export { QUARANTINE_DIR, persistSkippedRegions } from './recovery-executor.js';
export type { SkippedRegion } from './recovery-regions.js';
export type { RecoveredSegment, RecoveryOptions, RecoveryResult } from './recovery-types.js';

/**
 * Read size of recovery's double-buffered scan (two of these in memory). Measured on 50 MB of
 * 1 KiB records: 1 MiB reads scanned at 3.6 GB/s, 512 KiB at 3.2, 256 KiB at 3.0 (fewer reads,
 * fewer thread-pool round trips); peak memory beyond the largest record stays under 3 MiB.
 */
const RECOVERY_CHUNK_SIZE = DEFAULT_CHUNK_SIZE;

/** Where damage was found in one segment, and what the rest of the log holds. */
interface DamageSite {
  file: StorageFile;
  segment: RecoveredSegment;
  /** The segment is the last one. */
  last: boolean;
  /** Ids of the segments after it. */
  later: number[];
}

/**
 * Detect -> decide -> apply: the scan of each segment finds facts (a zero tail, a torn tail,
 * corruption, a missing or changed segment), {@link decideRecovery} decides what the mode does
 * about each, and a {@link RecoveryExecutor} applies it.
 */
class Recovery {
  private readonly scanner: SegmentScanner;
  private readonly report: RecoveryReport;
  private readonly segments: RecoveredSegment[] = [];
  private readonly start = monotonicMs();
  private readonly onCorruption: WalObserver['onCorruption'];
  private readonly executor: RecoveryExecutor;
  private readonly ahead: SegmentsAhead;
  private regions = new RegionLedger([]);
  /** Entries of `sealed.log` by segment id. */
  private sealed = new Map<number, SealedEntry>();
  /** Sealed segments found changed since they were sealed (their entries are dropped). */
  private readonly changedSealed = new Set<number>();

  constructor(
    private readonly storage: Storage,
    private readonly options: RecoveryOptions,
  ) {
    // Double-buffered: the next chunk is read while this one is checked (reads and CRCs overlap).
    this.scanner = new SegmentScanner({ maxRecordSize: options.readLimit, doubleBuffered: true, chunkSize: RECOVERY_CHUNK_SIZE });
    this.onCorruption = hook(options.observer, 'onCorruption');
    this.report = emptyReport(options);
    this.executor = new RecoveryExecutor(storage, options, this.report);
    this.ahead = new SegmentsAhead(storage, { readOnly: options.readOnly, sealedEntry: (id) => this.sealed.get(id), scanner: this.scanner });
  }

  async run(): Promise<RecoveryResult> {
    // Its size is taken before the listing: every entry read has its successor in the listing.
    const sealedSnapshot = await snapshotSealedLog(this.storage);
    const ids = (await this.storage.list())
      .map(parseSegmentName)
      .filter((id): id is number => id !== undefined)
      .sort((a, b) => a - b);
    const sealed = await sealedSnapshot.read(ids.length);
    this.sealed = new Map(sealed.entries.map((entry) => [entry.id, entry]));
    const intent = await readIntentFile(this.storage);
    this.regions = new RegionLedger(await readSkippedRegions(this.storage), this.options.maxSkippedRegions);

    try {
      await this.recoverSegments(ids, sealed.entries);
    } catch (error) {
      await this.ahead.settle().catch(() => undefined);
      throw error;
    }
    await this.ahead.settle();

    const { storage, scanner, executor, report, segments } = this;
    await rollBackPartialBatches({ storage, scanner, executor, report, segments, readOnly: this.options.readOnly }, intent);
    await this.executor.finish();
    return this.result(sealed);
  }

  /** Recovers the segments `ids` (sorted) in order, stopping where the mode says. */
  private async recoverSegments(ids: readonly number[], entries: readonly SealedEntry[]): Promise<void> {
    const ahead = this.ahead;
    for (let index = 0; index < ids.length; index++) {
      throwIfAborted(this.options.signal, 'recovery');
      const id = ids[index] as number;
      const previous = index > 0 ? (ids[index - 1] as number) : undefined;
      if (previous !== undefined && id !== previous + 1 && !this.regions.knownGap(previous, id)) {
        if (await this.missingSegments(previous, id, ids.slice(index))) return;
      }
      const opened = await ahead.take(id, ids[index + 1]);
      if (await this.recoverSegment(id, ids.slice(index + 1), opened)) return;
    }
    this.missingAtEnd(ids, entries);
  }

  private result(sealed: SealedLogContent): RecoveryResult {
    const last = this.segments[this.segments.length - 1];
    this.report.segments = this.segments.length;
    this.report.lastPosition =
      last === undefined
        ? { segmentId: 0, offset: 0 }
        : appendsToNextSegment(last)
          ? { segmentId: last.id + 1, offset: 0 }
          : { segmentId: last.id, offset: last.size };
    if (this.report.tail === 'none' && last !== undefined) this.report.tail = 'clean';
    this.report.durationMs = monotonicMs() - this.start;
    return {
      report: this.report,
      segments: this.segments,
      skips: this.regions.skips,
      regions: this.regions.effective,
      freshRegions: this.regions.fresh,
      regionsChanged: this.regions.changed(),
      sealed: sealedEntriesAfter(sealed, this.segments, this.changedSealed),
    };
  }

  /**
   * Decides about one finding: records it in the report as its verdict says, and throws when the
   * mode refuses to open (`refusal` says what was found; nothing has been modified then).
   */
  private decide(kind: DamageKind, info: CorruptionInfo, refusal: string): RecoveryAction {
    const { action, verdict } = decideRecovery(this.options.mode, kind);
    if (verdict === 'corruption') this.report.corruptions.push(info);
    if (verdict === 'torn-tail' && action !== 'fail') this.report.tail = 'torn';
    if (action === 'fail') {
      if (verdict === 'corruption') this.onCorruption?.({ ...info, action: 'failed' });
      throw new WalError('ERR_CORRUPTION', `strict recovery: ${refusal}; nothing was modified`);
    }
    return action;
  }

  /** Tells the observer what was done about a corruption (after it was done). */
  private applied(info: CorruptionInfo, action: RecoveryAction): void {
    const observed = observedAs(action);
    if (observed !== undefined) this.onCorruption?.({ ...info, action: observed });
  }

  /** Segments deleted at the end of the log: nothing to apply (the log ends where the others end). */
  private missingAtEnd(ids: readonly number[], entries: readonly SealedEntry[]): void {
    const info = missingAtEnd(ids, entries);
    if (info !== undefined) this.applied(info, this.decide('missing-at-end', info, info.reason));
  }

  /** Segment ids jump from `previous` to `next`: a whole segment is missing mid-log. Returns true when recovery stops. */
  private async missingSegments(previous: number, next: number, remaining: number[]): Promise<boolean> {
    const info: CorruptionInfo = {
      segmentId: previous + 1,
      offset: 0,
      reason: `missing segment(s) ${segmentName(previous + 1)}..${segmentName(next - 1)}`,
    };
    const action = this.decide('missing-segments', info, info.reason);
    if (action === 'skip') {
      const prior = this.segments[this.segments.length - 1];
      this.skip({ from: { segmentId: previous, offset: prior?.size ?? 0 }, to: { segmentId: next, offset: 0 } });
    } else {
      await this.ahead.discard();
      await this.executor.quarantineSegments(remaining);
    }
    this.applied(info, action);
    return action !== 'skip';
  }

  /**
   * A sealed segment that changed since it was sealed (cut, zeroed, overwritten, grown): damage at
   * the end of what can still be trusted, handled like mid-log corruption. Returns true when
   * recovery stops here, false when it goes on with the next segment, undefined when the damage
   * is one the scan sees itself (the segment is then scanned as usual: salvage resyncs past it).
   */
  private async recoverChangedSealed(site: DamageSite, mismatch: SealedMismatch): Promise<boolean | undefined> {
    const { file, segment } = site;
    this.changedSealed.add(segment.id);
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
    const info: CorruptionInfo = { segmentId: segment.id, offset: bad, reason: `sealed segment ${segmentName(segment.id)}: ${mismatch.reason}` };
    const action = this.decide('sealed-changed', info, `${info.reason} (at offset ${bad})`);
    return this.applyCorruption(site, info, { action, resumeAt: -1 });
  }

  /**
   * Applies the decision about corruption at `info.offset` of a segment: salvage skips to
   * `resumeAt` (-1: to the next segment); the other modes stop and quarantine the rest. Returns
   * undefined when the scan goes on in this segment at `resumeAt`, else whether recovery stops.
   */
  private async applyCorruption(site: DamageSite, info: CorruptionInfo, how: { action: RecoveryAction; resumeAt: number }): Promise<boolean | undefined> {
    const { segment } = site;
    const bad = info.offset;
    if (how.action === 'skip') {
      const to = how.resumeAt >= 0 ? { segmentId: segment.id, offset: how.resumeAt } : { segmentId: site.later[0] ?? segment.id + 1, offset: 0 };
      // Nothing valid in the rest of this (not last) segment: the segment ends here for readers.
      if (how.resumeAt < 0) segment.size = bad;
      this.skip({ from: { segmentId: segment.id, offset: bad }, to });
      this.applied(info, how.action);
      return how.resumeAt >= 0 ? undefined : false;
    }
    segment.fileSize = await this.executor.quarantineBytes(site.file, segment.id, { from: bad, fileSize: segment.fileSize, last: site.later.length === 0 });
    segment.size = bad;
    this.applied(info, how.action);
    if (site.later.length > 0) {
      await this.ahead.discard();
      await this.executor.quarantineSegments(site.later);
    }
    return true;
  }

  /** Adds a region salvage skips now (a fresh one), or a known one met again. */
  private skip(span: SkippedSpan, how = { fresh: true }): void {
    if (!this.regions.add(span, how)) return;
    this.report.skipped.push({ from: { ...span.from }, to: { ...span.to } });
    const segment = this.segments.find((s) => s.id === span.from.segmentId);
    if (segment !== undefined) segment.sealed = true;
  }

  /** A known region is met again: skip it (strict refuses a log with holes). */
  private honour(span: SkippedSpan): void {
    const info: CorruptionInfo = { segmentId: span.from.segmentId, offset: span.from.offset, reason: 'known skipped region' };
    this.decide(
      'known-region',
      info,
      `${segmentName(span.from.segmentId)} has a region salvage skipped at offset ${span.from.offset} ` +
        `(listed in ${SKIPPED_REGIONS_FILE}); the log has a hole`,
    );
    this.skip(span, { fresh: false });
  }

  /** Scans one segment; returns true when recovery stops here (later segments handled). */
  private async recoverSegment(id: number, later: number[], opened: OpenedSegment): Promise<boolean> {
    const { file, fileSize, mismatch } = opened;
    try {
      this.report.bytesScanned += fileSize;
      const segment: RecoveredSegment = { id, size: fileSize, fileSize, records: 0, sealed: false };
      this.segments.push(segment);
      const site: DamageSite = { file, segment, last: later.length === 0, later };
      const handled = mismatch === undefined ? undefined : await this.recoverChangedSealed(site, mismatch);
      if (handled !== undefined) return handled;
      return await this.walkSegment(site, this.sealed.get(id));
    } finally {
      this.ahead.close(file);
    }
  }

  /**
   * Walks a segment's records from its start with the shared walker (honouring known regions) and
   * decides about what it finds; returns true when recovery stops.
   */
  private async walkSegment(site: DamageSite, entry: SealedEntry | undefined): Promise<boolean> {
    const { file, segment } = site;
    const { fileSize } = segment;
    // Regions salvage skipped before (salvaged.json) that still fit this file, in order.
    const known = this.regions.inside(segment.id, fileSize);
    const byStart = new Map(known.map((span) => [span.from.offset, span]));
    const cuts = this.regions.cuts(segment.id, fileSize);
    const cutAt = cuts.length === 0 ? undefined : Math.min(...cuts.map((r) => r.from.offset));
    // The sparse index is built here, in the one pass over the bytes (no scan on the first get).
    const sampler = new SegmentSampler(0);
    segment.samples = sampler.samples;
    let records = 0;
    let sampleAt = sampler.nextSampleAt;
    let stopped: { info: CorruptionInfo; action: RecoveryAction } | undefined;
    const walk = await walkSegmentWith(
      this.scanner,
      file,
      {
        fileSize,
        maxRecordSize: this.options.readLimit,
        skipped: known.map((span) => ({ from: span.from.offset, to: span.to.offset })),
        ...(cutAt === undefined ? {} : { cutAt }),
        // Zeros inside what a sealed segment held are a zeroed segment, not preallocated space.
        writtenLength: entry?.length ?? 0,
        recheckDamage: this.options.readOnly,
      },
      {
        record: (_, offset) => {
          // Only a compare per record: one record is sampled per SPARSE_INDEX_STRIDE bytes.
          if (offset >= sampleAt) sampleAt = sampler.take(records, offset);
          records++;
        },
        skipped: (span) => this.honour(byStart.get(span.from) as SkippedSpan),
        damage: (damage) => {
          const info = this.corruption(segment, damage);
          const action = this.decide('corrupt', info, `corruption in ${segmentName(segment.id)} at offset ${damage.offset} (${info.reason})`);
          if (action !== 'skip') {
            stopped = { info, action };
            return false;
          }
          this.skip({ from: { segmentId: segment.id, offset: damage.offset }, to: { segmentId: segment.id, offset: damage.resumeAt } });
          this.applied(info, action);
          return true;
        },
      },
    );
    sampler.advance(records);
    this.report.records += records;
    segment.records += records;
    if (stopped !== undefined) return (await this.applyCorruption(site, stopped.info, { action: stopped.action, resumeAt: -1 })) as boolean;
    return this.walkEnded(site, { entry, cuts, end: walk.end, seenSize: walk.fileSize });
  }

  /**
   * Damage followed by data: a record too large to read (all of its bytes are there) fails the
   * modes that refuse it, naming the limit; anything else is corruption.
   */
  private corruption(segment: RecoveredSegment, damage: WalkDamage): CorruptionInfo {
    const name = segmentName(segment.id);
    // Every byte of the record is there: it is too large to read, not damaged.
    if (
      damage.reason === 'too-large' &&
      damage.offset + damage.claimed <= segment.fileSize &&
      decideRecovery(this.options.mode, 'too-large').action === 'fail'
    ) {
      throw tooLargeError(name, { offset: damage.offset, claimed: damage.claimed, limit: this.options.readLimit });
    }
    return { segmentId: segment.id, offset: damage.offset, reason: damage.reason };
  }

  /** Decides and applies how a walked segment ends; returns true when recovery stops here. */
  private async walkEnded(
    site: DamageSite,
    walk: { entry: SealedEntry | undefined; cuts: SkippedSpan[]; end: SegmentEnd; seenSize: number },
  ): Promise<boolean> {
    const { file, segment } = site;
    const { end } = walk;
    switch (end.kind) {
      case 'cut':
        for (const cut of walk.cuts) if (cut.from.offset === end.offset) this.honour(cut);
        segment.size = end.offset;
        segment.sealed = true;
        return false;
      case 'clean':
      case 'stopped':
        // The end is the file's length, or less when a live writer trimmed its preallocated tail
        // while a read-only recovery read it: never claim bytes the file no longer has.
        segment.size = end.offset;
        segment.fileSize = Math.min(segment.fileSize, walk.seenSize, end.offset);
        return false;
      case 'zero-tail':
        // Zero-filled tail: preallocated space (or an unfinished trim), never corruption.
        segment.size = end.offset;
        if (site.last && this.report.tail === 'none') this.report.tail = 'zero-filled';
        if (!(site.last && this.options.keepZeroTail)) {
          this.report.bytesTruncated += segment.fileSize - end.offset;
          segment.fileSize = await this.executor.cut(file, { from: end.offset, end: end.offset, fileSize: segment.fileSize, last: site.last });
        }
        return false;
      case 'torn':
        return this.tornEnd(site, walk.entry, { ...end, resumeAt: segment.fileSize });
    }
  }

  /**
   * No valid record follows the damage up to the file's end. At the end of the log that is a torn
   * write: later segments that hold nothing (created by a rotation just before the crash) do not
   * make this one less of a tail. A sealed segment was complete and fsynced before its entry: it
   * never ends in a torn write, so there (and mid-log) it is corruption.
   */
  private async tornEnd(site: DamageSite, entry: SealedEntry | undefined, end: WalkDamage): Promise<boolean> {
    const { file, segment } = site;
    const bad = end.offset;
    const name = segmentName(segment.id);
    const info = this.corruption(segment, end);
    if (entry === undefined && (site.last || (await this.allEmpty(site.later)))) {
      this.decide('torn-tail', info, `torn tail in ${name} at offset ${bad} (${end.reason})`);
      this.report.bytesTruncated += segment.fileSize - bad;
      segment.size = bad;
      segment.fileSize = bad;
      await this.executor.truncate(file, bad);
      return false;
    }
    const action = this.decide('corrupt', info, `corruption in ${name} at offset ${bad} (${end.reason})`);
    return (await this.applyCorruption(site, info, { action, resumeAt: -1 })) as boolean;
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
}

/**
 * Scans every segment of `storage` and repairs according to `options.mode` (nothing is modified
 * when `readOnly`). See the package README for what each mode does.
 */
export async function recover(storage: Storage, options: RecoveryOptions): Promise<RecoveryResult> {
  return new Recovery(storage, options).run();
}
