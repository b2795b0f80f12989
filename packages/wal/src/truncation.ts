import { removeFileDurably, removeStaleTmp, writeFileAtomically } from '@nori/storage';
import type { Storage } from '@nori/storage';
import { readWholeFile, truncateDurably } from './segment-io.js';
import { BATCH_INTENT_FILE } from './batch-intent.js';
import { WalError, errorCode } from './errors.js';
import { isPosition } from './position.js';
import { SEALED_SEGMENTS_FILE, decodeSealedLog, writeSealedLog } from './sealed-segments.js';
import { parseSegmentName, segmentName } from './segment-name.js';
import type { Position } from './types.js';

/**
 * Side file naming a `truncateAfter` cut in progress. Written (crash-safely) before anything is
 * cut; recovery completes a pending cut before it scans, so after a crash the log ends at its
 * old end (no intent yet) or exactly at the cut, never in between.
 */
export const TRUNCATE_INTENT_FILE = 'truncate.intent';
/** Largest intent nori writes (a few numbers); a larger file is not ours. */
const TRUNCATE_INTENT_MAX_BYTES = 4096;

/** A cut: the log keeps records up to `index`; the record after it started at `at`. */
export interface CutIntent {
  index: number;
  at: Position;
}

function invalid(message: string): WalError {
  return new WalError(
    'ERR_CORRUPTION',
    `${TRUNCATE_INTENT_FILE} is invalid (${message}); it names a truncateAfter cut in progress: restore it, or remove it to keep the log uncut`,
  );
}

/** Parses the intent file. @throws WalError `ERR_CORRUPTION` when it is not one nori wrote. */
export function decodeCutIntent(bytes: Uint8Array): CutIntent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('not JSON');
  }
  const content = parsed as { version?: unknown; index?: unknown; at?: unknown } | null;
  if (typeof content !== 'object' || content === null || content.version !== 1 || !isPosition(content.at)) {
    throw invalid('expected { "version": 1, "index", "at": { "segmentId", "offset" } }');
  }
  const index = content.index;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) throw invalid('index is not a non-negative integer');
  return { index, at: { segmentId: content.at.segmentId, offset: content.at.offset } };
}

function encodeCutIntent(intent: CutIntent): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify({ version: 1, index: intent.index, at: intent.at }, null, 2)}\n`);
}

/** Reads a pending cut (undefined when none). */
export async function readCutIntent(storage: Storage): Promise<CutIntent | undefined> {
  let file;
  try {
    file = await storage.open(TRUNCATE_INTENT_FILE, { readOnly: true });
  } catch (error) {
    if (errorCode(error) === 'ERR_NOT_FOUND') return undefined;
    throw error;
  }
  try {
    if ((await file.size()) > TRUNCATE_INTENT_MAX_BYTES) throw invalid('larger than any intent nori writes');
    return decodeCutIntent(await readWholeFile(file));
  } finally {
    await file.close();
  }
}

/** Drops the sealed.log entries of the cut segment and later ones (recovery's side; the writer uses SealedLog). */
async function dropSealedEntriesFrom(storage: Storage, id: number): Promise<void> {
  if (!(await storage.exists(SEALED_SEGMENTS_FILE))) return;
  const file = await storage.open(SEALED_SEGMENTS_FILE, { readOnly: true });
  let entries;
  try {
    entries = decodeSealedLog(await readWholeFile(file)).entries;
  } finally {
    await file.close();
  }
  const kept = entries.filter((entry) => entry.id < id);
  if (kept.length !== entries.length) await writeSealedLog(storage, kept);
}

/**
 * Carries out a cut whose intent is durable: clears the batch intents (every batch was whole
 * and durable before the intent: none may roll the cut back further), drops sealed.log entries
 * from the cut segment on, deletes later segments (newest first), truncates the cut segment,
 * fsyncs, then removes the intent. Idempotent: recovery repeats it after a crash.
 */
async function applyCut(storage: Storage, intent: CutIntent, dropSealedFrom: (id: number) => Promise<void>): Promise<void> {
  const cutId = intent.at.segmentId;
  if (await storage.exists(BATCH_INTENT_FILE)) {
    const batches = await storage.open(BATCH_INTENT_FILE);
    try {
      await truncateDurably(batches, 0);
    } finally {
      await batches.close();
    }
  }
  await dropSealedFrom(cutId);
  const later = (await storage.list())
    .map(parseSegmentName)
    .filter((id): id is number => id !== undefined && id > cutId)
    .sort((a, b) => b - a);
  for (const id of later) await storage.remove(segmentName(id));
  if (await storage.exists(segmentName(cutId))) {
    const file = await storage.open(segmentName(cutId));
    try {
      if ((await file.size()) > intent.at.offset) await truncateDurably(file, intent.at.offset);
    } finally {
      await file.close();
    }
  }
  await storage.syncDir();
  await removeFileDurably(storage, TRUNCATE_INTENT_FILE);
}

/** `truncateAfter`'s on-disk part: the intent first, then the cut (see {@link applyCut}). */
export async function cutLog(storage: Storage, intent: CutIntent, dropSealedFrom: (id: number) => Promise<void>): Promise<void> {
  await writeFileAtomically(storage, TRUNCATE_INTENT_FILE, encodeCutIntent(intent));
  await applyCut(storage, intent, dropSealedFrom);
}

/** Completes a cut a crash interrupted (writable open, before recovery scans); returns it. */
export async function completePendingCut(storage: Storage): Promise<CutIntent | undefined> {
  await removeStaleTmp(storage, TRUNCATE_INTENT_FILE);
  const intent = await readCutIntent(storage);
  if (intent !== undefined) await applyCut(storage, intent, (id) => dropSealedEntriesFrom(storage, id));
  return intent;
}
