import fs from 'node:fs/promises';
import { bytesToString } from '../bytes.js';
import { KvError, errorCode } from '../errors.js';
import { KvStore } from '../kv-store.js';
import { formatPosition } from '../position.js';
import type { KvOpenOptions, KvOpenReport, KvStats } from '../types.js';
import { formatBytes, formatCount, formatDuration, plural, renderPairs } from './format.js';
import { createProgressReporter } from './progress.js';

/** Where CLI commands write; injectable for tests. */
export interface CliOutput {
  out: (text: string) => void;
}

/** Segment size used by the CLI: small enough that compaction frees space early. */
const CLI_SEGMENT_SIZE = 4 * 1024 * 1024;

/** Checks `--dir` before the store touches it, for errors that name the flag. */
async function checkDir(dir: string, create: boolean): Promise<void> {
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) throw new KvError('ERR_BAD_DIR', `--dir ${dir} is not a directory`);
  } catch (error) {
    if (error instanceof KvError) throw error;
    if (errorCode(error) === 'ENOENT') {
      if (create) return;
      throw new KvError('ERR_NO_STORE', `no store at ${dir} (write something with \`nori-kv put\` first, or pass --dir / NORI_KV_DIR)`);
    }
    throw new KvError('ERR_BAD_DIR', `cannot use --dir ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * What a command needs: `create` the store if missing, `write` an existing one (takes the lock),
 * or only `read` it (no lock: works while another process writes).
 */
export type StoreAccess = 'create' | 'write' | 'read';

function openOptions(dir: string, access: StoreAccess): KvOpenOptions {
  if (access === 'read') return { dir, readOnly: true };
  return { dir, createIfMissing: access === 'create', fsync: 'always', maxSegmentSize: CLI_SEGMENT_SIZE };
}

/** Opens the store at `dir` (with a progress bar on a TTY), runs `action`, closes it. */
export async function withStore<T>(dir: string, access: StoreAccess, action: (store: KvStore) => Promise<T> | T): Promise<T> {
  await checkDir(dir, access === 'create');
  const progress = createProgressReporter();
  let store: KvStore;
  try {
    store = await KvStore.open({ ...openOptions(dir, access), onProgress: progress.onProgress });
  } catch (error) {
    if (error instanceof KvError && error.code === 'ERR_NO_STORE') {
      throw new KvError('ERR_NO_STORE', `no store at ${dir} (write something with \`nori-kv put\` first, or pass --dir / NORI_KV_DIR)`);
    }
    throw error;
  } finally {
    progress.stop();
  }
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

/** `put KEY VALUE [--ttl ms]`. */
export async function putCommand(dir: string, key: string, value: string, ttlMs: number | undefined, io: CliOutput): Promise<void> {
  await withStore(dir, 'create', (store) => store.put(key, value, ttlMs === undefined ? {} : { ttlMs }));
  io.out('OK');
}

/** `get KEY`: prints the value; `ERR_NOT_FOUND` when absent or expired. */
export async function getCommand(dir: string, key: string, io: CliOutput): Promise<void> {
  const value = await withStore(dir, 'read', (store) => store.getString(key));
  if (value === undefined) throw new KvError('ERR_NOT_FOUND', `key ${JSON.stringify(key)} not found`);
  io.out(value);
}

/** `del KEY`: `ERR_NOT_FOUND` (and nothing written) when the key does not exist. */
export async function deleteCommand(dir: string, key: string, io: CliOutput): Promise<void> {
  await withStore(dir, 'write', async (store) => {
    if (!store.has(key)) throw new KvError('ERR_NOT_FOUND', `key ${JSON.stringify(key)} not found`);
    await store.delete(key);
  });
  io.out('OK');
}

/** `scan [--prefix P] [--limit N]`: `key<TAB>value` lines in key order. */
export async function scanCommand(dir: string, prefix: string, limit: number | undefined, io: CliOutput): Promise<void> {
  const lines = await withStore(dir, 'read', (store) => {
    const found: string[] = [];
    for (const entry of store.scan(limit === undefined ? { prefix } : { prefix, limit })) {
      found.push(`${bytesToString(entry.key)}\t${bytesToString(entry.value)}`);
    }
    return found;
  });
  if (lines.length > 0) io.out(lines.join('\n'));
}

/** `stats`: keys, bytes, WAL and snapshot facts, and what the open did. */
export async function statsCommand(dir: string, io: CliOutput): Promise<void> {
  const { stats, report } = await withStore(dir, 'read', (store) => ({ stats: store.stats(), report: store.openReport }));
  io.out(renderStats(dir, stats, report));
}

/** `compact`: snapshot + deletion of the WAL segments it covers. */
export async function compactCommand(dir: string, io: CliOutput): Promise<void> {
  const progress = createProgressReporter();
  const result = await withStore(dir, 'write', (store) => store.compact({ onProgress: progress.onProgress })).finally(() => progress.stop());
  const deleted = result.segmentsDeleted;
  io.out(
    `compacted in ${formatDuration(result.durationMs)}: snapshot of ${plural(result.snapshot.entries, 'key')} ` +
      `(${formatBytes(result.snapshot.bytes)}) covers the log up to ${formatPosition(result.snapshot.position)}; ` +
      `${plural(deleted.length, 'WAL segment')} deleted${deleted.length > 0 ? ` (${deleted.join(', ')})` : ''}; ` +
      `${plural(result.expiredDropped, 'expired key')} dropped`,
  );
}

/** Renders `stats` output. */
export function renderStats(dir: string, stats: KvStats, report: KvOpenReport): string {
  const wal = stats.wal;
  const snapshot = stats.snapshot;
  const recovered = report.wal;
  return renderPairs([
    ['store', dir],
    [
      'keys',
      `${formatCount(stats.keys)} live${stats.expiredPending > 0 ? ` (+${formatCount(stats.expiredPending)} expired, dropped at the next compaction)` : ''}`,
    ],
    ['live data', formatBytes(stats.liveBytes)],
    ['wal', `${plural(wal.segments, 'segment')}, ${formatBytes(wal.diskBytes)} on disk, durable up to ${formatPosition(wal.durablePosition)}`],
    [
      'snapshot',
      snapshot === undefined
        ? 'none (run `nori-kv compact`)'
        : `covers the log up to ${formatPosition(snapshot.position)}: ${plural(snapshot.entries, 'key')}, ${formatBytes(snapshot.bytes)}, written ${new Date(snapshot.createdAt).toISOString()}`,
    ],
    [
      'last open',
      `${formatDuration(report.durationMs)}: WAL recovered ${plural(recovered.records, 'record')} in ${plural(recovered.segments, 'segment')} (tail ${recovered.tail}), ` +
        `${formatCount(report.replayedRecords)} replayed after the snapshot`,
    ],
  ]);
}
