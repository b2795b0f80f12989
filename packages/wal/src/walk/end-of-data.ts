import type { StorageFile } from '@nori/storage';
import { isZeroRange, resync } from '../segment-io.js';

/**
 * What the bytes at a segment offset where no valid record starts are, judged by the one rule every
 * scanner of the log shares (recovery, readers, the CLI):
 * - `zero-tail`: only zero bytes up to the end of the file (preallocated space, never damage);
 * - `torn`: no valid record starts anywhere after it, up to the limit (a write cut short);
 * - `corrupt`: a valid record starts again at `resumeAt` (damage followed by data).
 */
export type DamageClass = { kind: 'zero-tail' } | { kind: 'torn' } | { kind: 'corrupt'; resumeAt: number };

/** Options of {@link classifyDamage}. */
export interface ClassifyDamageOptions {
  /** Where the search for the next record stops (the file's end, or a known region's start). */
  limit: number;
  /** The file's length: a zero tail must run to it. */
  fileSize: number;
  /** Largest record the resync recognises. */
  maxRecordSize: number;
  /**
   * Whether zeros from `offset` to the end of the file may be a preallocated tail (not when they
   * are bytes a sealed segment held, or when the scanned region stops before the file's end).
   */
  zeroTail: boolean;
}

/**
 * Classifies the bytes at `offset` (where the last valid record ended and no valid one starts);
 * reads only, decides nothing.
 */
export async function classifyDamage(file: StorageFile, offset: number, options: ClassifyDamageOptions): Promise<DamageClass> {
  if (options.zeroTail && (await isZeroRange(file, offset, options.fileSize))) return { kind: 'zero-tail' };
  const next = await resync(file, offset, options.limit, options.maxRecordSize);
  return next < 0 ? { kind: 'torn' } : { kind: 'corrupt', resumeAt: next };
}
