import { ArchiveError } from '../errors.js';
import { validatePrefix } from '../keys.js';

/** Folder of chunk objects under an archive prefix (LAYOUT.md "Keys"). */
export const CHUNKS_FOLDER = 'chunks';
/** Folder of generation index records under an archive prefix. */
export const GENERATIONS_FOLDER = 'generations';
/** Folder of retention markers under an archive prefix. */
export const TRIMMED_FOLDER = 'trimmed';

const HEX_WIDTH = 16;
const HEX_NUMBER = /^[0-9a-f]{16}$/;
const GENERATION_SUFFIX = '.json';

/** Formats a seq or generation as 16 lowercase hex digits (key order is numeric order). */
export function formatLayoutNumber(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ArchiveError('ERR_INVALID_ARGUMENT', `archive numbers must be safe non-negative integers, got ${value}`);
  }
  return value.toString(16).padStart(HEX_WIDTH, '0');
}

function parseLayoutNumber(text: string): number | undefined {
  if (!HEX_NUMBER.test(text)) return undefined;
  const value = Number.parseInt(text, 16);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** `P/` for a non-empty prefix, `''` for the empty one; `P` may already end with `/`. */
export function folderOf(prefix: string, folder: string): string {
  validatePrefix(prefix);
  if (prefix === '') return `${folder}/`;
  return prefix.endsWith('/') ? `${prefix}${folder}/` : `${prefix}/${folder}/`;
}

/** Key of chunk `seq`: `P/chunks/<seq:16 hex>`. */
export function chunkKey(prefix: string, seq: number): string {
  return folderOf(prefix, CHUNKS_FOLDER) + formatLayoutNumber(seq);
}

/** Key of the index record of `generation`: `P/generations/<generation:16 hex>.json`. */
export function generationKey(prefix: string, generation: number): string {
  return folderOf(prefix, GENERATIONS_FOLDER) + formatLayoutNumber(generation) + GENERATION_SUFFIX;
}

/** Key of the retention marker "chunks below `seq` may be gone": `P/trimmed/<seq:16 hex>`. */
export function trimmedKey(prefix: string, seq: number): string {
  return folderOf(prefix, TRIMMED_FOLDER) + formatLayoutNumber(seq);
}

function parseUnder(prefix: string, folder: string, key: string, suffix = ''): number | undefined {
  const start = folderOf(prefix, folder);
  if (!key.startsWith(start) || !key.endsWith(suffix)) return undefined;
  return parseLayoutNumber(key.slice(start.length, key.length - suffix.length));
}

/** The seq of a chunk key under `prefix`; undefined for any other key. */
export function parseChunkKey(prefix: string, key: string): number | undefined {
  return parseUnder(prefix, CHUNKS_FOLDER, key);
}

/** The generation of a generation index key under `prefix`; undefined for any other key. */
export function parseGenerationKey(prefix: string, key: string): number | undefined {
  return parseUnder(prefix, GENERATIONS_FOLDER, key, GENERATION_SUFFIX);
}

/** The seq of a retention marker key under `prefix`; undefined for any other key. */
export function parseTrimmedKey(prefix: string, key: string): number | undefined {
  return parseUnder(prefix, TRIMMED_FOLDER, key);
}
