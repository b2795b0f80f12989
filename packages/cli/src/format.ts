import type { Position } from '@nori/wal';
import { NoriCliError } from './errors.js';

// One SEGMENT:OFFSET text form for the whole project: the CLI prints and parses positions with
// @nori/wal's functions (re-exported so `@nori/cli` keeps exporting them).
export { formatPosition, parsePosition } from '@nori/wal/scan';

/** A position in the log: segment id and byte offset inside that segment (`@nori/wal`'s `Position`). */
export type LogPosition = Position;

/** How binary keys and values are written in `--json` output. */
export type BinaryEncoding = 'hex' | 'base64';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Control, format (bidi overrides, zero-width), private-use, unassigned and line/paragraph separators. */
const UNSAFE_CHARS = /[\p{C}\p{Zl}\p{Zp}]/u;

/**
 * Returns `bytes` as a string when they are valid UTF-8 made only of printable characters (no
 * control, format or bidi-override characters that could garble or disguise a terminal line),
 * otherwise `undefined`. Empty input is printable.
 */
export function printableUtf8(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  return UNSAFE_CHARS.test(text) ? undefined : text;
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** `bytes` in the requested text encoding (for JSON output). */
export function encodeBinary(bytes: Uint8Array, encoding: BinaryEncoding): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding);
}

/**
 * Shows a key or value safely on one terminal line: `"text"` when it is printable UTF-8 (with
 * `"` and `\` escaped), otherwise `0x` followed by hex. With `width > 0` the shown text is cut to
 * `width` characters (code points for text, hex digits for binary) and ends in `…`.
 */
export function formatBytesSafe(bytes: Uint8Array, width: number): string {
  const text = printableUtf8(bytes);
  if (text !== undefined) {
    const chars = Array.from(text);
    const cut = width > 0 && chars.length > width;
    const shown = (cut ? chars.slice(0, width).join('') : text).replace(/["\\]/g, (c) => `\\${c}`);
    return `"${shown}${cut ? '…' : ''}"`;
  }
  const maxBytes = width > 0 ? Math.max(1, Math.floor(width / 2)) : bytes.byteLength;
  const cut = bytes.byteLength > maxBytes;
  return `0x${toHex(cut ? bytes.subarray(0, maxBytes) : bytes)}${cut ? '…' : ''}`;
}

/** `1536` -> `1.5 KiB`; below 1 KiB the exact count: `512 B`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TiB'}`;
}

/** Parses a non-negative decimal integer option; throws `ERR_USAGE` naming the option. */
export function parseCount(text: string, option: string): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new NoriCliError('ERR_USAGE', `invalid ${option} "${text}": expected a non-negative integer`);
  }
  return value;
}

/**
 * Byte multipliers of size options: SI units are powers of 1000, IEC units powers of 1024
 * (`1kb` = 1000, `1kib` = 1024), as the `--max-record-size` help says.
 */
export const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

const SIZE_TEXT = /^\s*(\d+)\s*([a-z]*)\s*$/i;

/**
 * Parses a byte size: a decimal integer with an optional, case-insensitive unit from
 * {@link SIZE_UNITS} (`4096`, `1kb`, `64 KiB`, `1mib`). Throws `ERR_USAGE` naming the option.
 */
export function parseByteSize(text: string, option: string): number {
  const match = SIZE_TEXT.exec(text);
  const unit = match?.[2] === undefined || match[2] === '' ? 1 : SIZE_UNITS[match[2].toLowerCase()];
  const value = match?.[1] === undefined || unit === undefined ? Number.NaN : Number(match[1]) * unit;
  if (!Number.isSafeInteger(value)) {
    throw new NoriCliError(
      'ERR_USAGE',
      `invalid ${option} "${text}": expected a number of bytes with an optional unit (${Object.keys(SIZE_UNITS).join(', ')}), e.g. 64kib`,
    );
  }
  return value;
}

/** Milliseconds for humans: `0.4 ms`, `12 ms`, `3.2 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Positions in a run of digits that are followed by a multiple of three digits. */
const THOUSANDS_GAPS = /\B(?=(\d{3})+(?!\d))/g;

/** Thousands separators for counts: `1234567` -> `1,234,567`. */
export function formatCount(value: number): string {
  // Not toLocaleString for integers: its first call loads ICU's number formatting, ~20 ms of
  // every CLI run (a third of `nori-wal verify` on a small log).
  if (!Number.isSafeInteger(value)) return value.toLocaleString('en-US');
  return String(value).replace(THOUSANDS_GAPS, ',');
}

/**
 * Renders rows as a left-aligned text table (numeric-looking columns right-aligned), two spaces
 * between columns, no trailing spaces.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const numeric = header.map((_, column) => rows.length > 0 && rows.every((row) => /^[\d,]+$|^-$/.test(row[column] ?? '')));
  return all
    .map((row) =>
      row
        .map((cell, column) => {
          const width = widths[column] ?? 0;
          return numeric[column] ? cell.padStart(width) : cell.padEnd(width);
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
