import type { Position } from './types.js';
import { WalError } from './errors.js';

/** Orders positions: negative if `a` is before `b`, 0 if equal, positive if after. */
export function comparePositions(a: Position, b: Position): number {
  return a.segmentId === b.segmentId ? a.offset - b.offset : a.segmentId - b.segmentId;
}

/** True when `value` looks like a valid position (non-negative safe integers). */
export function isPosition(value: unknown): value is Position {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Position;
  return Number.isSafeInteger(p.segmentId) && p.segmentId >= 0 && Number.isSafeInteger(p.offset) && p.offset >= 0;
}

/** `{ segmentId: 3, offset: 120 }` -> `3:120`: the one text form of a position (CLI, logs, docs). */
export function formatPosition(position: Position): string {
  return `${position.segmentId}:${position.offset}`;
}

const POSITION_TEXT = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/;

/**
 * Parses `SEGMENT:OFFSET` (decimal, e.g. `3:4096`) or a bare `SEGMENT` (offset 0), the inverse of
 * {@link formatPosition}.
 * @throws WalError `ERR_INVALID_POSITION` naming the text on anything else.
 */
export function parsePosition(text: string): Position {
  const match = typeof text === 'string' ? POSITION_TEXT.exec(text) : null;
  const segmentId = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  const offset = match?.[2] === undefined ? 0 : Number(match[2]);
  if (match === null || !Number.isSafeInteger(segmentId) || !Number.isSafeInteger(offset)) {
    throw new WalError('ERR_INVALID_POSITION', `invalid position "${String(text)}": expected SEGMENT:OFFSET with decimal numbers, e.g. 3:4096`);
  }
  return { segmentId, offset };
}
