import type { Position } from '@nori/wal';

/** Orders two WAL positions: negative if `a` is before `b`, 0 if equal, positive if after. */
export function comparePositions(a: Position, b: Position): number {
  return a.segmentId === b.segmentId ? a.offset - b.offset : a.segmentId - b.segmentId;
}

/** Renders a position as `segment:offset`, e.g. `3:4096`. */
export function formatPosition(position: Position): string {
  return `${position.segmentId}:${position.offset}`;
}
