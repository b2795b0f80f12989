import type { Wal } from '@nori/wal';
import type { Replica, ReplicaEntry, ReplicaPosition } from '../src/index.js';

/** Takes `count` entries from a follow, then stops it (the iterator's return). */
export async function take(replica: Replica, count: number, from?: ReplicaPosition): Promise<ReplicaEntry[]> {
  const out: ReplicaEntry[] = [];
  if (count === 0) return out;
  for await (const entry of replica.follow(from === undefined ? {} : { from })) {
    out.push(entry);
    if (out.length === count) break;
  }
  return out;
}

/** `key=value` of entries (keys/values as UTF-8). */
export function texts(entries: readonly { key: Uint8Array; value: Uint8Array }[]): string[] {
  const decoder = new TextDecoder();
  return entries.map((e) => `${decoder.decode(e.key)}=${decoder.decode(e.value)}`);
}

/** Every record of a WAL as `key=value`, with positions. */
export async function walRecords(wal: Wal): Promise<{ texts: string[]; positions: string[] }> {
  const entries = [];
  for await (const entry of wal.read()) entries.push(entry);
  return { texts: texts(entries), positions: entries.map((e) => `${e.position.segmentId}:${e.position.offset}`) };
}
