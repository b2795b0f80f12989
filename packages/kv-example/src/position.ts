import type { Position } from '@nori/wal';

/** Renders a WAL position as `segment:offset`, e.g. `3:4096`. */
export function formatPosition(position: Position): string {
  return `${position.segmentId}:${position.offset}`;
}
