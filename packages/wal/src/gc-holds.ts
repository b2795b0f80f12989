import { WalError } from './errors.js';
import { comparePositions, isPosition } from './position.js';
import type { Position } from './types.js';

/**
 * A GC hold from {@link Wal.retain}: while it is held, `deleteSegmentsBefore` never deletes the
 * segment of {@link WalHold.position} or any later one. Move it forward as the holder's need
 * shrinks (e.g. an archiver after shipping); release it when done (also `using`).
 */
export interface WalHold extends Disposable {
  /** The oldest position the holder still needs; undefined once released. */
  readonly position: Position | undefined;
  /**
   * Moves the hold to `position` (never backwards: GC may already have deleted what lies before
   * the current position). Moving a released hold does nothing.
   * @throws WalError `ERR_INVALID_POSITION` for a malformed position or one before the current one.
   */
  moveTo(position: Position): void;
  /** Gives the hold up (idempotent): GC may delete the segments it protected. */
  release(): void;
}

class Hold implements WalHold {
  private current: Position | undefined;

  constructor(
    position: Position,
    private readonly onRelease: (hold: Hold) => void,
  ) {
    this.current = { ...position };
  }

  get position(): Position | undefined {
    return this.current === undefined ? undefined : { ...this.current };
  }

  moveTo(position: Position): void {
    checkPosition(position);
    if (this.current === undefined) return;
    if (comparePositions(position, this.current) < 0) {
      throw new WalError('ERR_INVALID_POSITION', 'a GC hold only moves forward');
    }
    this.current = { ...position };
  }

  release(): void {
    if (this.current === undefined) return;
    this.current = undefined;
    this.onRelease(this);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

function checkPosition(position: unknown): asserts position is Position {
  if (!isPosition(position)) {
    throw new WalError('ERR_INVALID_POSITION', 'position must be { segmentId, offset } with non-negative integers');
  }
}

/** The live GC holds of one WAL. */
export class GcHolds {
  private readonly holds = new Set<Hold>();

  /** A new hold at `position`. @throws WalError `ERR_INVALID_POSITION`. */
  retain(position: Position): WalHold {
    checkPosition(position);
    const hold = new Hold(position, (released) => this.holds.delete(released));
    this.holds.add(hold);
    return hold;
  }

  /**
   * The smallest segment id any hold or any of `readers` (open readers' places) protects
   * (`Infinity` when none).
   */
  protectedFrom(readers: Iterable<{ readonly segmentId: number }> = []): number {
    let from = Infinity;
    for (const reader of readers) from = Math.min(from, reader.segmentId);
    for (const hold of this.holds) {
      const position = hold.position;
      if (position !== undefined) from = Math.min(from, position.segmentId);
    }
    return from;
  }

  /** Number of live holds. */
  get size(): number {
    return this.holds.size;
  }
}
