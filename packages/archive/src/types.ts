/** The operations of an {@link ObjectStore}, as named in errors and fault specs. */
export type ObjectStoreOperation = 'put' | 'get' | 'head' | 'list' | 'delete';

/** Options every call accepts. */
export interface CallOptions {
  /** Cancels the call: it rejects with `ERR_ABORTED` (a put may or may not have taken effect). */
  signal?: AbortSignal | undefined;
}

/** Options of {@link ObjectStore.put}. */
export interface PutOptions extends CallOptions {
  /**
   * `'*'`: create only; if the key exists the put fails with `ERR_PRECONDITION_FAILED` and the
   * stored object is left untouched.
   */
  ifNoneMatch?: '*' | undefined;
  /**
   * The CRC32C the caller computed for `bytes`. The store recomputes it and refuses the put with
   * `ERR_CHECKSUM_MISMATCH` (writing nothing) if they differ, so bytes damaged in memory after the
   * caller's check never reach the archive.
   */
  checksum?: number | undefined;
}

/** A byte range of an object: `length` bytes from `offset` (default: to the end). */
export interface ByteRange {
  offset: number;
  length?: number | undefined;
}

/** Options of {@link ObjectStore.get}. */
export interface GetOptions extends CallOptions {
  /**
   * Read only these bytes; the range must lie inside the object (`ERR_INVALID_RANGE` otherwise).
   * A ranged read cannot be checked against the whole object's CRC32C (the caller verifies its
   * own framing, e.g. WAL record CRCs); full reads always are.
   */
  range?: ByteRange | undefined;
}

/** Options of {@link ObjectStore.list}. */
export interface ListOptions extends CallOptions {
  /** Only keys that sort after this one (exclusive), e.g. to resume a listing. */
  startAfter?: string | undefined;
}

/** What {@link ObjectStore.head} and {@link ObjectStore.put} report about an object. */
export interface ObjectInfo {
  key: string;
  /** Size in bytes. */
  size: number;
  /**
   * CRC32C of the whole object, as recorded in its metadata when it was written; undefined for
   * an object that was not written by an `ObjectStore` (a full `get` of it fails with
   * `ERR_CHECKSUM_MISSING`).
   */
  crc32c: number | undefined;
  /** The store's entity tag (opaque; changes whenever the object is rewritten). */
  etag: string;
}

/** One entry of {@link ObjectStore.list}. */
export interface ObjectSummary {
  key: string;
  size: number;
  etag: string;
}

/** Result of {@link ObjectStore.get}. */
export interface GetResult {
  /** The object's bytes (or the requested range); the caller owns this array. */
  bytes: Uint8Array;
  /** The whole object's metadata. */
  info: ObjectInfo;
  /** True when `bytes` were checked against the object's CRC32C (full reads). */
  verified: boolean;
}

/**
 * A flat key-to-bytes store with conditional create, the shape of S3 and its clones. Every
 * object carries the CRC32C of its bytes in its metadata; full reads verify it. Keys are
 * `/`-separated, non-empty segments other than `.` and `..`, no control characters, at most
 * 1024 UTF-8 bytes (`ERR_INVALID_KEY` otherwise). Failures are `ArchiveError`s.
 */
export interface ObjectStore {
  /** Stores `bytes` under `key` (replacing it, unless `ifNoneMatch: '*'`). */
  put(key: string, bytes: Uint8Array, options?: PutOptions): Promise<ObjectInfo>;
  /** Reads an object (or a range of it); `ERR_NOT_FOUND` if missing. */
  get(key: string, options?: GetOptions): Promise<GetResult>;
  /** An object's metadata; `ERR_NOT_FOUND` if missing. */
  head(key: string, options?: CallOptions): Promise<ObjectInfo>;
  /**
   * Keys starting with `prefix`, in ascending order of their UTF-8 bytes; pages are fetched
   * as the iteration proceeds. Keys written during the iteration may or may not appear.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectSummary>;
  /** Removes an object; removing a missing key succeeds. */
  delete(key: string, options?: CallOptions): Promise<void>;
}
