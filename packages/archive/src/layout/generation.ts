import { z } from 'zod';
import { ArchiveError } from '../errors.js';

const GENERATION_RECORD_FORMAT = 1;
const safeCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Why a primary started a generation. */
export const GENERATION_REASONS = ['new-log', 'takeover', 'diverged'] as const;
/** Why a primary started a generation (see LAYOUT.md "Writing"). */
export type GenerationReason = (typeof GENERATION_REASONS)[number];

/** Payload of a generation-start chunk. */
export interface GenerationStartPayload {
  /** The generation this one follows (the highest in the archive when it started), or null. */
  parentGeneration: number | null;
  reason: GenerationReason;
}

/** The index record `P/generations/<generation>.json`. */
export interface GenerationRecord {
  format: 1;
  generation: number;
  /** Seq of the generation-start chunk. */
  startSeq: number;
  /** ISO 8601 time the generation started. */
  createdAt: string;
  writerId: string;
  parentGeneration: number | null;
  reason: GenerationReason;
}

const startPayloadSchema: z.ZodType<GenerationStartPayload> = z.strictObject({
  parentGeneration: safeCount.nullable(),
  reason: z.enum(GENERATION_REASONS),
});

const generationRecordSchema: z.ZodType<GenerationRecord> = z.strictObject({
  format: z.literal(GENERATION_RECORD_FORMAT),
  generation: safeCount.min(1),
  startSeq: safeCount,
  createdAt: z.iso.datetime(),
  writerId: z.string().regex(/^[0-9a-f]{32}$/),
  parentGeneration: safeCount.nullable(),
  reason: z.enum(GENERATION_REASONS),
});

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function parseJson<T>(schema: z.ZodType<T>, bytes: Uint8Array, key: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new ArchiveError('ERR_ARCHIVE_CORRUPT', `${what} ${key} is not UTF-8 JSON`, { key, cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ArchiveError('ERR_ARCHIVE_CORRUPT', `${what} ${key} is malformed: ${z.prettifyError(parsed.error)}`, { key });
  }
  return parsed.data;
}

/** Encodes a generation-start chunk payload. */
export function encodeGenerationStart(payload: GenerationStartPayload): Uint8Array {
  return encoder.encode(JSON.stringify(startPayloadSchema.parse(payload)));
}

/** Decodes a generation-start chunk payload; `ERR_ARCHIVE_CORRUPT` naming `key` if malformed. */
export function decodeGenerationStart(bytes: Uint8Array, key: string): GenerationStartPayload {
  return parseJson(startPayloadSchema, bytes, key, 'generation-start payload of');
}

/** Encodes a generation index record (fields in a fixed order, so rewrites are byte-identical). */
export function encodeGenerationRecord(record: Omit<GenerationRecord, 'format'>): Uint8Array {
  const full: GenerationRecord = { format: GENERATION_RECORD_FORMAT, ...record };
  const checked = generationRecordSchema.parse(full);
  return encoder.encode(
    JSON.stringify({
      format: checked.format,
      generation: checked.generation,
      startSeq: checked.startSeq,
      createdAt: checked.createdAt,
      writerId: checked.writerId,
      parentGeneration: checked.parentGeneration,
      reason: checked.reason,
    }),
  );
}

/** Decodes a generation index record; `ERR_ARCHIVE_CORRUPT` naming `key` if malformed. */
export function decodeGenerationRecord(bytes: Uint8Array, key: string): GenerationRecord {
  return parseJson(generationRecordSchema, bytes, key, 'generation record');
}
