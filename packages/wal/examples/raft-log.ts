/**
 * Runnable example: `node --conditions=@nori/source --import tsx examples/raft-log.ts [dir]`.
 * A Raft log store on the WAL: the WAL's sequence numbers are the Raft log indexes (both start
 * at 1), each record holds one entry (key: its term, value: the command). `appendEntries` is the
 * receiver side of Raft's AppendEntries RPC (consistency check, conflicting-suffix truncation
 * with `truncateAfter`, append of new entries); `compact` is snapshot compaction with
 * `truncateBefore`, the snapshot's last index and term kept in a small side file.
 */
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Wal, WalError } from '@nori/wal';

const decoder = new TextDecoder();

/** One Raft log entry. */
export interface RaftEntry {
  term: number;
  command: string;
}

/** The last entry a snapshot covers (index 0, term 0: no snapshot). */
export interface SnapshotMeta {
  index: number;
  term: number;
}

/** A durable Raft log: the WAL for entries, `snapshot.json` beside it for the compaction point. */
export class RaftLogStore implements AsyncDisposable {
  private constructor(
    private readonly wal: Wal,
    private readonly metaFile: string,
    private snapshot: SnapshotMeta,
  ) {}

  /** Opens (or creates) the store in `dir`; every append is fsynced before it is acknowledged. */
  static async open(dir: string): Promise<RaftLogStore> {
    const { wal } = await Wal.open({ dir: path.join(dir, 'log'), fsync: 'always', maxSegmentSize: 4096 });
    const metaFile = path.join(dir, 'snapshot.json');
    let snapshot: SnapshotMeta = { index: 0, term: 0 };
    try {
      snapshot = JSON.parse(await readFile(metaFile, 'utf8')) as SnapshotMeta;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return new RaftLogStore(wal, metaFile, snapshot);
  }

  /** Index of the last entry (the snapshot's when the log after it is empty). */
  lastIndex(): number {
    return Math.max(this.wal.lastIndex, this.snapshot.index);
  }

  /** Index of the first entry still in the log. */
  firstIndex(): number {
    return this.wal.firstIndex;
  }

  /** Term of entry `index`; undefined when there is none (past the end, or compacted away). */
  async term(index: number): Promise<number | undefined> {
    if (index === this.snapshot.index) return this.snapshot.term;
    if (index < this.wal.firstIndex || index > this.wal.lastIndex) return undefined;
    return Number(decoder.decode((await this.wal.get(index)).key));
  }

  /** Entries `[from, to]` in order. */
  async entries(from: number, to: number = this.lastIndex()): Promise<RaftEntry[]> {
    const out: RaftEntry[] = [];
    if (from > to) return out;
    for await (const entry of this.wal.read({ fromIndex: from, toIndex: to })) {
      out.push({ term: Number(decoder.decode(entry.key)), command: decoder.decode(entry.value) });
    }
    return out;
  }

  /**
   * The receiver side of AppendEntries (Raft paper, figure 2): false when the log holds no entry
   * at `prevIndex` with `prevTerm`; otherwise an existing entry that conflicts with a new one
   * (same index, different term) is deleted with everything after it, and entries not already in
   * the log are appended. Returns true once they are durable.
   */
  async appendEntries(prevIndex: number, prevTerm: number, entries: readonly RaftEntry[]): Promise<boolean> {
    if (prevIndex > 0 && (await this.term(prevIndex)) !== prevTerm) return false;
    let next = 0;
    for (; next < entries.length; next++) {
      const index = prevIndex + 1 + next;
      if (index <= this.snapshot.index) continue; // already covered by the snapshot
      const existing = await this.term(index);
      if (existing === undefined) break;
      if (existing !== (entries[next] as RaftEntry).term) {
        await this.wal.truncateAfter(index - 1);
        break;
      }
    }
    const rest = entries.slice(next).map((e) => ({ key: String(e.term), value: e.command }));
    if (rest.length > 0) await this.wal.appendBatch(rest);
    return true;
  }

  /**
   * Snapshot compaction: the state machine saved a snapshot through `index`; entries up to it
   * are no longer needed. The snapshot's last index and term are stored first (write + rename),
   * then the log is truncated before `index + 1` (its whole segments are deleted).
   */
  async compact(index: number): Promise<void> {
    const term = await this.term(index);
    if (term === undefined) throw new WalError('ERR_INDEX_OUT_OF_RANGE', `no entry ${index} to compact through`);
    const meta: SnapshotMeta = { index, term };
    await writeFile(`${this.metaFile}.tmp`, JSON.stringify(meta), { flush: true });
    await rename(`${this.metaFile}.tmp`, this.metaFile);
    this.snapshot = meta;
    await this.wal.truncateBefore(index + 1);
  }

  /** Closes the WAL. */
  close(): Promise<void> {
    return this.wal.close();
  }

  /** Same as {@link RaftLogStore.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Runs the example: a follower with a conflicting suffix is repaired by the leader's entries. */
export async function raftLog(root: string): Promise<{ follower: RaftEntry[]; firstIndex: number }> {
  const leader: RaftEntry[] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6].map((term, i) => ({ term, command: `set x=${i + 1}` }));
  {
    await using store = await RaftLogStore.open(root);
    // The follower was partitioned and took entries of terms 2 and 3 that the leader never had.
    await store.appendEntries(0, 0, [...leader.slice(0, 3), { term: 2, command: 'stale' }, { term: 3, command: 'stale' }]);
    // The leader backs off nextIndex until the consistency check passes, then sends the rest.
    let nextIndex = leader.length + 1;
    for (;;) {
      const prevIndex = nextIndex - 1;
      const prevTerm = prevIndex === 0 ? 0 : (leader[prevIndex - 1] as RaftEntry).term;
      if (await store.appendEntries(prevIndex, prevTerm, leader.slice(prevIndex))) break;
      nextIndex--;
    }
    await store.compact(5);
  } // the follower restarts
  await using store = await RaftLogStore.open(root);
  const follower = await store.entries(store.firstIndex());
  console.log(
    `follower log after restart: entries ${store.firstIndex()}..${store.lastIndex()}`,
    follower.map((e) => e.term),
  );
  return { follower, firstIndex: store.firstIndex() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = process.argv[2] ?? (await mkdtemp(path.join(tmpdir(), 'nori-raft-')));
  await raftLog(root);
}
