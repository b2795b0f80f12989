import { tmpNameOf, writeFileAtomically, type Storage } from '@nori/storage';
import { z } from 'zod';
import { ArchiveError } from '../errors.js';
import { GENERATION_REASONS, type GenerationReason } from '../layout/index.js';

/** The archiver's side file in the WAL directory (LAYOUT.md "Writing"). */
export const ARCHIVE_SIDE_FILE = 'archive.json';
/** Temporary name while {@link ARCHIVE_SIDE_FILE} is replaced (tmp + fsync + rename + dir fsync). */
export const ARCHIVE_SIDE_FILE_TMP = tmpNameOf(ARCHIVE_SIDE_FILE);
const SIDE_FILE_FORMAT = 1;
/** Larger files are not ours: refuse instead of reading them into memory. */
const SIDE_FILE_MAX_BYTES = 64 * 1024;

/**
 * What `archive.json` records: the generation this WAL directory writes under `prefix`, the seq
 * and writer id of its generation-start chunk (written before that chunk is created, so a crash
 * in between is recognised), and why it was started.
 */
export interface ArchiveSideFile {
  prefix: string;
  generation: number;
  startSeq: number;
  writerId: string;
  parentGeneration: number | null;
  reason: GenerationReason;
}

const safeCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const sideFileSchema: z.ZodType<ArchiveSideFile & { format: typeof SIDE_FILE_FORMAT }> = z.strictObject({
  format: z.literal(SIDE_FILE_FORMAT),
  prefix: z.string(),
  generation: safeCount.min(1),
  startSeq: safeCount,
  writerId: z.string().regex(/^[0-9a-f]{32}$/),
  parentGeneration: safeCount.nullable(),
  reason: z.enum(GENERATION_REASONS),
});

const decoder = new TextDecoder('utf-8', { fatal: true });

function corrupt(reason: string, cause?: unknown): ArchiveError {
  return new ArchiveError('ERR_ARCHIVE_CORRUPT', `${ARCHIVE_SIDE_FILE} in the WAL directory ${reason}`, { key: ARCHIVE_SIDE_FILE, cause });
}

/** Reads `archive.json`; undefined when absent. `ERR_ARCHIVE_CORRUPT` when it is not a valid side file. */
export async function readArchiveSideFile(storage: Storage): Promise<ArchiveSideFile | undefined> {
  if (!(await storage.exists(ARCHIVE_SIDE_FILE))) return undefined;
  const file = await storage.open(ARCHIVE_SIDE_FILE, { readOnly: true });
  let bytes: Uint8Array;
  try {
    const size = await file.size();
    if (size > SIDE_FILE_MAX_BYTES) throw corrupt(`is ${size} bytes, more than a side file ever holds`);
    bytes = new Uint8Array(size);
    const read = await file.read(bytes, 0, size, 0);
    bytes = bytes.subarray(0, read);
  } finally {
    await file.close();
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw corrupt('is not UTF-8 JSON', error);
  }
  const parsed = sideFileSchema.safeParse(value);
  if (!parsed.success) throw corrupt(`is malformed: ${z.prettifyError(parsed.error)}`);
  const { format: _format, ...content } = parsed.data;
  return content;
}

/**
 * Replaces `archive.json` crash-safely through the WAL's storage: written to a temporary name and
 * fsynced, renamed over the old file, then the directory is fsynced. After a crash at any step it
 * holds the old content or the new one.
 */
export async function writeArchiveSideFile(storage: Storage, content: ArchiveSideFile): Promise<void> {
  const checked = sideFileSchema.parse({ format: SIDE_FILE_FORMAT, ...content });
  await writeFileAtomically(storage, ARCHIVE_SIDE_FILE, new TextEncoder().encode(`${JSON.stringify(checked, null, 2)}\n`));
}
