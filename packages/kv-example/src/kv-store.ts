import type { Archiver } from '@nori/archive';
import type { RecordInput } from '@nori/codec';
import type { Storage } from '@nori/storage';
import { Wal, comparePositions, type AppendOptions, type Position } from '@nori/wal';
import { bytesToString, checkKey, keyId, keyIdToBytes, ownValue, toBytes, type BytesLike } from './bytes.js';
import { KvError } from './errors.js';
import { KvIndex, type IndexEntry } from './kv-index.js';
import { toKvError, toKvErrorWithLockInfo } from './error-mapping.js';
import { deleteRecord, putRecord, resolveExpiry } from './record-envelope.js';
import { SNAPSHOT_FILE, removeStaleSnapshotTemp, writeSnapshotFile } from './snapshot-file.js';
import type { SnapshotEntryInput } from './snapshot-format.js';
import type {
  KvBatchOperation,
  KvCompactOptions,
  KvCompactReport,
  KvEntry,
  KvOpenOptions,
  KvOpenReport,
  KvProgressEvent,
  KvPutOptions,
  KvScanOptions,
  KvSnapshotInfo,
  KvStats,
} from './types.js';
import { replayLog } from './replay.js';
import { WriteSequencer } from './write-sequencer.js';
import { loadSnapshot, walConfigOf } from './store-open.js';
import { READ_ONLY_OPEN_ATTEMPTS, assertLogCovered, assertStoreExists, isCompactionRace, resolveStorage, startArchiver } from './open-checks.js';

/** How a store handles writes. */
interface WriteSettings {
  /** Acknowledge writes only once fsynced. */
  durable: boolean;
  /** Opened with `readOnly: true`: every write is refused with `ERR_READ_ONLY`. */
  readOnly: boolean;
}

/**
 * A key-value store on the nori WAL.
 *
 * Every write is a WAL record (a batch is one atomic `appendBatch`); an in-memory index holds
 * the current state and is rebuilt on open from the latest snapshot plus the log after it.
 * {@link KvStore.compact} writes a new snapshot crash-safely and then deletes the WAL segments
 * it covers. A write's promise resolves once the write is durable (unless `durable: false`) and
 * visible to `get`.
 */
export class KvStore implements AsyncDisposable {
  /** What opening the store did: WAL recovery, snapshot, replay. */
  readonly openReport: KvOpenReport;

  private readonly sequencer = new WriteSequencer();
  private readonly appendOptions: AppendOptions;
  private readonly readOnly: boolean;
  private snapshot: KvSnapshotInfo | undefined;
  private compaction: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  /** Set with the `archive` option: writes go through it and resolve once in the object store. */
  private archiver: Archiver | undefined;

  private constructor(
    private readonly wal: Wal,
    private readonly storage: Storage,
    private readonly index: KvIndex,
    private readonly now: () => number,
    settings: WriteSettings,
    openReport: KvOpenReport,
  ) {
    this.openReport = openReport;
    this.snapshot = openReport.snapshot;
    this.appendOptions = { durable: settings.durable };
    this.readOnly = settings.readOnly;
  }

  /**
   * Opens (or creates) a store: opens the WAL (taking its lock), loads the snapshot, replays the
   * log after it. Fails with `ERR_LOCKED` when another process has it open (unless `readOnly`),
   * `ERR_NO_STORE` when `createIfMissing` is false (or `readOnly`) and there is none,
   * `ERR_SNAPSHOT_MISSING` when compaction deleted log segments and `kv.snapshot` is gone,
   * `ERR_BAD_DIR` when the directory is unusable.
   */
  static async open(options: KvOpenOptions): Promise<KvStore> {
    const storage = resolveStorage(options);
    for (let attempt = 1; ; attempt++) {
      try {
        return await KvStore.openOnce(options, storage);
      } catch (error) {
        const retry = options.readOnly === true && attempt < READ_ONLY_OPEN_ATTEMPTS && isCompactionRace(error);
        if (!retry) throw error;
      }
    }
  }

  private static async openOnce(options: KvOpenOptions, storage: Storage): Promise<KvStore> {
    const started = performance.now();
    const now = options.now ?? Date.now;
    const readOnly = options.readOnly === true;
    if (options.signal?.aborted === true) {
      throw new KvError('ERR_ABORTED', 'opening the store was aborted', { cause: options.signal.reason });
    }
    if (options.createIfMissing === false || readOnly) await assertStoreExists(storage);

    let opened: Awaited<ReturnType<typeof Wal.open>>;
    try {
      opened = await Wal.open(walConfigOf(options, storage));
    } catch (error) {
      throw await toKvErrorWithLockInfo(error, storage, 'open the store');
    }
    const { wal, recovery } = opened;
    try {
      // A read-only open never removes anything: the temp file may be a running compaction's.
      const removedStaleTemp = readOnly ? false : await removeStaleSnapshotTemp(storage);
      const index = new KvIndex();
      const progress = options.onProgress;
      const loaded = await loadSnapshot(storage, index, now(), progress);
      const snapshot = loaded.snapshot;
      let expiredOnOpen = loaded.expired;
      await assertLogCovered(wal, snapshot, storage);
      const settings: WriteSettings = { durable: options.durable ?? true, readOnly };

      let replayedRecords = 0;
      let replayedBytes = 0;
      let reanchored = false;
      let store: KvStore;
      const report = (): KvOpenReport => ({
        wal: recovery,
        snapshot,
        replayedRecords,
        replayedBytes,
        keys: index.size,
        expiredOnOpen,
        removedStaleTemp,
        reanchored,
        durationMs: performance.now() - started,
      });
      if (snapshot !== undefined && comparePositions(recovery.lastPosition, snapshot.position) < 0) {
        // The log ends before the snapshot's position: appends would land "behind" the
        // snapshot and be skipped on the next open. The snapshot holds everything the lost
        // records held, so re-anchor it at the log's end (a read-only store has no appends).
        reanchored = !readOnly;
        store = new KvStore(wal, storage, index, now, settings, report());
        if (reanchored) await store.writeSnapshot(recovery.lastPosition, index.snapshotEntries(now()), undefined, options.signal);
      } else {
        const replay = await replayLog(wal, index, snapshot?.position, now, progress, options.signal);
        replayedRecords = replay.records;
        replayedBytes = replay.bytes;
        expiredOnOpen += replay.expired;
        store = new KvStore(wal, storage, index, now, settings, report());
      }
      if (options.archive !== undefined) store.archiver = await startArchiver(wal, options);
      return store;
    } catch (error) {
      await wal.close().catch(() => undefined);
      throw toKvError(error, storage, 'open the store');
    }
  }

  /** Stores `value` under `key`, optionally with a TTL. Resolves once durable and visible. */
  put(key: BytesLike, value: BytesLike, options: KvPutOptions = {}): Promise<void> {
    let record: RecordInput;
    let id: string;
    let valueData: BytesLike;
    let expiresAt: number;
    try {
      this.assertWritable('put');
      checkKey(key);
      valueData = ownValue(value);
      const now = this.now();
      expiresAt = resolveExpiry(options, now);
      record = putRecord(key, valueData, expiresAt, now);
      id = keyId(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const appendOptions = this.withSignal(options.signal);
    return this.write(
      () => this.appendOne(record, appendOptions),
      () => void this.index.put(id, valueData, expiresAt, this.now()),
      'put',
    );
  }

  /** Deletes `key`. Resolves with whether a live value was deleted, once the delete is durable. */
  delete(key: BytesLike, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    let id: string;
    try {
      this.assertWritable('delete');
      id = keyId(checkKey(key));
    } catch (error) {
      return Promise.reject(error);
    }
    const appendOptions = this.withSignal(options.signal);
    return this.write(
      () => this.appendOne(deleteRecord(key), appendOptions),
      () => this.index.delete(id, this.now()),
      'delete',
    );
  }

  /**
   * Applies puts and deletes atomically: after a crash either all of them are in the store or
   * none. Every operation is validated before anything is written.
   */
  async batch(operations: readonly KvBatchOperation[], options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertWritable('batch');
    // Through `unknown`: Array.isArray would narrow a readonly array to `any[]`.
    const list: unknown = operations;
    if (!Array.isArray(list)) throw new KvError('ERR_INVALID_ARGUMENT', 'batch expects an array of operations');
    if (operations.length === 0) return;
    const now = this.now();
    const records: RecordInput[] = [];
    const effects: ((at: number) => void)[] = [];
    operations.forEach((operation, i) => {
      if (operation === null || typeof operation !== 'object') {
        throw new KvError('ERR_INVALID_ARGUMENT', `batch operation ${i} is not an object`);
      }
      const key = checkKey(operation.key);
      const id = keyId(key);
      if (operation.type === 'put') {
        const valueData = ownValue(operation.value);
        const expiresAt = resolveExpiry(operation, now);
        records.push(putRecord(key, valueData, expiresAt, now));
        effects.push((at) => this.index.put(id, valueData, expiresAt, at));
      } else if (operation.type === 'del') {
        records.push(deleteRecord(key));
        effects.push((at) => void this.index.delete(id, at));
      } else {
        throw new KvError('ERR_INVALID_ARGUMENT', `batch operation ${i} has unknown type ${String((operation as { type: unknown }).type)}`);
      }
    });
    await this.write(
      () => this.appendMany(records, this.withSignal(options.signal)),
      () => {
        const at = this.now();
        for (const effect of effects) effect(at);
      },
      'write a batch',
    );
  }

  /** The value of `key`, or undefined when it is absent or expired. Returns a copy. */
  get(key: BytesLike): Uint8Array | undefined {
    const entry = this.lookup(key);
    return entry === undefined ? undefined : valueCopy(entry.value);
  }

  /** The value of `key` decoded as UTF-8, or undefined. */
  getString(key: BytesLike): string | undefined {
    const entry = this.lookup(key);
    return entry === undefined ? undefined : bytesToString(entry.value);
  }

  /** The value and expiry of `key`, or undefined. */
  getEntry(key: BytesLike): KvEntry | undefined {
    const entry = this.lookup(key);
    if (entry === undefined) return undefined;
    return { key: toBytes(key).slice(), value: valueCopy(entry.value), expiresAt: entry.expiresAt === 0 ? undefined : entry.expiresAt };
  }

  /** True when `key` holds a live value. */
  has(key: BytesLike): boolean {
    return this.lookup(key) !== undefined;
  }

  /** Live entries in key (byte) order, optionally only those with a prefix, up to `limit`. */
  *scan(options: KvScanOptions = {}): Generator<KvEntry> {
    this.assertOpen('scan');
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    if (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0) {
      throw new KvError('ERR_INVALID_ARGUMENT', `scan limit must be a non-negative number, got ${String(options.limit)}`);
    }
    const prefix = options.prefix === undefined ? '' : keyId(options.prefix);
    const now = this.now();
    let yielded = 0;
    for (const id of this.index.keysWithPrefix(prefix, now)) {
      if (yielded >= limit) return;
      const entry = this.index.get(id, now);
      if (entry === undefined) continue;
      yielded++;
      yield { key: keyIdToBytes(id), value: valueCopy(entry.value), expiresAt: entry.expiresAt === 0 ? undefined : entry.expiresAt };
    }
  }

  /**
   * Writes a snapshot of the current state and deletes the WAL segments it covers.
   *
   * Steps, each crash-safe: hold new writes back until every issued write is acknowledged,
   * `wal.sync()` to get position P (all records before P are durable and in the index), copy the
   * index, let writes continue, write the snapshot to a temp file, fsync it, rename it over the
   * old snapshot, fsync the directory, and only then `wal.deleteSegmentsBefore(P)`.
   */
  async compact(options: KvCompactOptions = {}): Promise<KvCompactReport> {
    this.assertWritable('compact');
    const run = this.compaction.then(() => this.compactNow(options));
    this.compaction = run.catch(() => undefined);
    return run;
  }

  /** Live keys, bytes, WAL statistics and the current snapshot. Walks the index: O(keys). */
  stats(): KvStats {
    const live = this.index.countLive(this.now());
    return {
      keys: live.keys,
      liveBytes: live.bytes,
      expiredPending: live.expired,
      wal: this.wal.stats(),
      snapshot: this.snapshot,
      inFlightWrites: this.sequencer.inFlight,
    };
  }

  /** Waits for in-flight writes, then closes the WAL and releases the lock. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.compaction;
      await this.sequencer.idle();
      try {
        await this.archiver?.close({ flush: true });
      } catch (error) {
        throw toKvError(error, this.storage, 'flush the archive');
      } finally {
        await this.wal.close();
      }
    })();
    return this.closing;
  }

  /** Same as {@link KvStore.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async compactNow(options: KvCompactOptions): Promise<KvCompactReport> {
    const started = performance.now();
    this.assertOpen('compact');
    const { position, entries, expiredDropped } = await this.captureState();
    const snapshot = await this.writeSnapshot(position, entries, options.onProgress, options.signal);
    let segmentsDeleted: number[];
    try {
      segmentsDeleted = await this.wal.deleteSegmentsBefore(position);
    } catch (error) {
      throw toKvError(error, this.storage, 'delete compacted WAL segments');
    }
    return { snapshot, expiredDropped, segmentsDeleted, durationMs: performance.now() - started };
  }

  /**
   * Holds writes back until the index matches the log, then takes the durable end of the log
   * and a copy of the live entries: exactly the state of every record before that position.
   */
  private async captureState(): Promise<{ position: Position; entries: SnapshotEntryInput[]; expiredDropped: number }> {
    await this.sequencer.pause();
    try {
      const position = await this.wal.sync();
      const now = this.now();
      const expiredDropped = this.index.purgeExpired(now);
      return { position, entries: this.index.snapshotEntries(now), expiredDropped };
    } catch (error) {
      throw toKvError(error, this.storage, 'sync the log');
    } finally {
      this.sequencer.resume();
    }
  }

  private async writeSnapshot(
    position: Position,
    entries: readonly SnapshotEntryInput[],
    onProgress: ((event: KvProgressEvent) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<KvSnapshotInfo> {
    const createdAt = this.now();
    try {
      const written = await writeSnapshotFile(
        this.storage,
        position,
        entries,
        createdAt,
        onProgress && ((done, total) => onProgress({ phase: 'snapshot-write', done, total })),
        signal,
      );
      this.snapshot = { position, entries: written.entries, bytes: written.bytes, createdAt };
      return this.snapshot;
    } catch (error) {
      throw toKvError(error, this.storage, `write ${SNAPSHOT_FILE}`);
    }
  }

  private lookup(key: BytesLike): IndexEntry | undefined {
    this.assertOpen('get');
    return this.index.get(keyId(checkKey(key)), this.now());
  }

  private write<W, R>(issue: () => Promise<W>, apply: (written: W) => R, action: string): Promise<R> {
    return this.sequencer.run(issue, apply, (error) => toKvError(error, this.storage, action));
  }

  /** One record: remote-durable through the archiver when there is one, else a WAL append. */
  private appendOne(record: RecordInput, options: AppendOptions): Promise<unknown> {
    if (this.archiver === undefined) return this.wal.append(record, options);
    return this.archiver.append(record, options.signal === undefined ? {} : { signal: options.signal });
  }

  /** A crash-atomic batch, remote-durable like {@link KvStore.appendOne}. */
  private appendMany(records: readonly RecordInput[], options: AppendOptions): Promise<unknown> {
    if (this.archiver === undefined) return this.wal.appendBatch(records, options);
    return this.archiver.appendBatch(records, options.signal === undefined ? {} : { signal: options.signal });
  }

  private withSignal(signal: AbortSignal | undefined): AppendOptions {
    return signal === undefined ? this.appendOptions : { ...this.appendOptions, signal };
  }

  private assertOpen(action: string): void {
    if (this.closing !== undefined) throw new KvError('ERR_CLOSED', `cannot ${action}: the store is closed`);
  }

  private assertWritable(action: string): void {
    this.assertOpen(action);
    if (this.readOnly) throw new KvError('ERR_READ_ONLY', `cannot ${action}: the store was opened with readOnly: true`);
  }
}

/** A copy of an indexed value the caller may do anything with. */
function valueCopy(value: BytesLike): Uint8Array {
  return typeof value === 'string' ? toBytes(value) : value.slice();
}
