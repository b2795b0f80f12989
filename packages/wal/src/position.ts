import type { Position } from './types.js';

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
