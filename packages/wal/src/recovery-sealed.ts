import type { RecoveredSegment, RecoveryResult } from './recovery-types.js';
import type { SealedEntry, SealedLogContent } from './sealed-segments.js';
import { segmentName } from './segment-name.js';
import type { CorruptionInfo } from './types.js';

/**
 * The entries of `sealed.log` still true after recovery: segments present (not the last: it is
 * appended to next), unchanged since sealed (`changed` lists those that were not) and of the same
 * length. Entries of deleted front segments, of quarantined or damaged ones are dropped, so the
 * damage is reported once.
 */
export function sealedEntriesAfter(content: SealedLogContent, segments: readonly RecoveredSegment[], changed: ReadonlySet<number>): RecoveryResult['sealed'] {
  const last = segments[segments.length - 1];
  const present = new Map(segments.map((s) => [s.id, s]));
  const entries = content.entries.filter((entry) => {
    const segment = present.get(entry.id);
    return segment !== undefined && segment !== last && !changed.has(entry.id) && segment.size === entry.length;
  });
  return { entries, changed: content.torn || entries.length !== content.entries.length, exists: content.exists };
}

/**
 * Segments deleted at the end of the log, as the listed `ids` and the `sealed.log` entries show
 * them (the segment after the last sealed one was created before its entry was written: if it, or
 * a later one, is gone, segments were deleted); `undefined` when none are missing.
 */
export function missingAtEnd(ids: readonly number[], entries: readonly SealedEntry[]): CorruptionInfo | undefined {
  const lastSealed = entries[entries.length - 1];
  if (lastSealed === undefined) return undefined;
  const first = ids[0];
  const last = ids[ids.length - 1];
  // Entries below the first segment are not a hole: GC (or an operator) removed the front.
  if (first !== undefined && lastSealed.id < first) return undefined;
  if (last !== undefined && last > lastSealed.id) return undefined;
  const from = (last ?? -1) + 1;
  const to = lastSealed.id + 1;
  return {
    segmentId: from,
    offset: 0,
    reason: `missing segment(s) ${segmentName(from)}..${segmentName(to)} at the end of the log (listed as sealed, or created, in sealed.log)`,
  };
}
