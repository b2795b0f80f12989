/**
 * `@nori/wal/scan`: the low-level segment walker that recovery and the `nori-wal` CLI share.
 * It walks one segment's records over a `@nori/storage` file, honours skipped regions and
 * classifies how the data ends; it reads only and decides nothing. {@link decideRecovery} is the
 * one policy that turns what a walk finds into what a recovery mode does (`Wal.open` applies it,
 * `nori-wal verify` derives its verdict from it).
 */
export {
  walkSegment,
  type SegmentEnd,
  type SegmentReporter,
  type SegmentSpan,
  type SegmentWalk,
  type SegmentWalkOptions,
  type WalkDamage,
  type WalkDamageReason,
} from './walk/segment-walker.js';
export { classifyDamage, type ClassifyDamageOptions, type DamageClass } from './walk/end-of-data.js';
export { RESYNC_LOOKAHEAD } from './segment-io.js';
export { parseSkippedRegions, readSkippedRegions, type SkippedSpan } from './skipped-regions.js';
export { checkSealedSegment, snapshotSealedLog, type SealedLogSnapshot, type SealedMismatch } from './sealed-segments.js';
export { isZeroRange } from './segment-io.js';
// Names, positions and limits a tool needs beside the walker, so that it can read a log without
// loading the engine (the main entry): `nori-wal verify` of a small log starts faster.
export { WalError } from './errors.js';
export { formatPosition, parsePosition } from './position.js';
export { parseSegmentName, segmentName } from './segment-name.js';
export { MAX_RECORD_SIZE_LIMIT } from './record-limit.js';
export { SEALED_SEGMENTS_FILE, SEALED_TAIL_WINDOW, type SealedEntry } from './sealed-segments.js';
export { SKIPPED_REGIONS_FILE } from './skipped-regions.js';
export {
  DEFAULT_RECOVERY_MODE,
  decideRecovery,
  worstVerdict,
  type DamageKind,
  type DamageVerdict,
  type RecoveryAction,
  type RecoveryDecision,
} from './recovery-policy.js';
