import { parentOf } from '../paths.js';
import type { Inode } from './inode.js';
import type { CrashMode } from './inode.js';
import type { Prng } from './prng.js';

/** A directory entry of the memory model. */
export type Entry = { kind: 'file'; inode: Inode } | { kind: 'dir' };

type DirOp = { kind: 'set'; name: string; entry: Entry } | { kind: 'delete'; name: string } | { kind: 'rename'; from: string; to: string; entry: Entry };

/**
 * The directory tree, keyed by full name. Like file data, entry changes are volatile until their
 * directory is synced: `pending` holds them per parent directory, in order.
 */
export class Namespace {
  durable = new Map<string, Entry>();
  current = new Map<string, Entry>();
  readonly #pending = new Map<string, DirOp[]>();

  #push(dir: string, op: DirOp): void {
    const ops = this.#pending.get(dir);
    if (ops === undefined) this.#pending.set(dir, [op]);
    else ops.push(op);
  }

  set(name: string, entry: Entry): void {
    this.current.set(name, entry);
    this.#push(parentOf(name), { kind: 'set', name, entry });
  }

  delete(name: string): void {
    this.current.delete(name);
    this.#push(parentOf(name), { kind: 'delete', name });
  }

  /** Same-directory renames are atomic; across directories they are a link plus an unlink. */
  rename(from: string, to: string, entry: Entry): void {
    this.current.delete(from);
    this.current.set(to, entry);
    const fromDir = parentOf(from);
    const toDir = parentOf(to);
    if (fromDir === toDir) {
      this.#push(toDir, { kind: 'rename', from, to, entry });
    } else {
      this.#push(toDir, { kind: 'set', name: to, entry });
      this.#push(fromDir, { kind: 'delete', name: from });
    }
  }

  /** An independent copy; `copyEntry` maps every entry (so inodes can be cloned once each). */
  clone(copyEntry: (entry: Entry) => Entry): Namespace {
    const copy = new Namespace();
    for (const [name, entry] of this.durable) copy.durable.set(name, copyEntry(entry));
    for (const [name, entry] of this.current) copy.current.set(name, copyEntry(entry));
    for (const [dir, ops] of this.#pending) {
      copy.#pending.set(
        dir,
        ops.map((op) => (op.kind === 'delete' ? op : { ...op, entry: copyEntry(op.entry) })),
      );
    }
    return copy;
  }

  /** Directory fsync: the pending entry changes of `dir` become durable. */
  syncDir(dir: string): void {
    const ops = this.#pending.get(dir);
    if (ops === undefined) return;
    for (const op of ops) this.#apply(op);
    this.#pending.delete(dir);
  }

  /** True if `dir` has entry changes a crash could undo. */
  isDirty(dir: string): boolean {
    return this.#pending.has(dir);
  }

  #apply(op: DirOp): void {
    if (op.kind === 'set') this.durable.set(op.name, op.entry);
    else if (op.kind === 'delete') this.durable.delete(op.name);
    else {
      this.durable.delete(op.from);
      this.durable.set(op.to, op.entry);
    }
  }

  /** Power loss: per directory, a random prefix (or subset) of pending changes survives. */
  crash(rng: Prng, mode: CrashMode): void {
    for (const ops of this.#pending.values()) {
      if (mode === 'prefix') {
        const kept = rng.int(ops.length + 1);
        for (let i = 0; i < kept; i++) this.#apply(ops[i] as DirOp);
      } else {
        for (const op of ops) if (rng.chance()) this.#apply(op);
      }
    }
    this.#pending.clear();
    // Entries whose directory did not survive are gone with it.
    for (const name of [...this.durable.keys()]) {
      if (!this.#reachable(name)) this.durable.delete(name);
    }
    this.current = new Map(this.durable);
  }

  #reachable(name: string): boolean {
    for (let dir = parentOf(name); dir !== ''; dir = parentOf(dir)) {
      if (this.durable.get(dir)?.kind !== 'dir') return false;
    }
    return true;
  }
}
