import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CRC32C_METADATA_KEY,
  checksumForPut,
  formatCrc32c,
  missingChecksum,
  parseCrc32c,
  resolveRange,
  throwIfAborted,
  validateBytes,
  validateRangeShape,
  verifyChecksum,
} from '../common.js';
import { ArchiveError } from '../errors.js';
import { MAX_KEY_BYTES, validateKey, validatePrefix } from '../keys.js';
import type {
  ByteRange,
  CallOptions,
  GetOptions,
  GetResult,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  ObjectStoreOperation,
  ObjectSummary,
  PutOptions,
} from '../types.js';
import { resolveS3Config, type ResolvedS3Config, type S3ObjectStoreConfig } from './config.js';
import { fromSdkError, type CallSignals } from './errors.js';

const CRC32C_BYTES = 4;
const CONTENT_RANGE_TOTAL = /\/(\d+)$/;

/** S3's `x-amz-checksum-crc32c` value: the big-endian CRC32C, base64. */
function s3ChecksumHeader(crc: number): string {
  const bytes = Buffer.alloc(CRC32C_BYTES);
  bytes.writeUInt32BE(crc >>> 0);
  return bytes.toString('base64');
}

/**
 * An {@link ObjectStore} on Amazon S3 or an S3-compatible store (Ceph RGW, MinIO, ...) through
 * `@aws-sdk/client-s3`. Conditional create is S3's `If-None-Match: *`; every object's CRC32C
 * travels in its `x-amz-meta-nori-crc32c` metadata and is checked on full reads. Credentials
 * come from the SDK's standard provider chain unless given, and are never logged.
 */
export class S3ObjectStore implements ObjectStore {
  readonly #config: ResolvedS3Config;
  readonly #client: S3Client;

  /** Validates `config` (`ERR_CONFIG`); no request is made until the first call. */
  constructor(config: S3ObjectStoreConfig) {
    this.#config = resolveS3Config(config);
    this.#client = this.#config.client;
  }

  /** The bucket this store writes to. */
  get bucket(): string {
    return this.#config.bucket;
  }

  /** The key prefix inside the bucket. */
  get prefix(): string {
    return this.#config.prefix;
  }

  /** Closes the SDK client's sockets; the store must not be used afterwards. */
  destroy(): void {
    this.#client.destroy();
  }

  async put(key: string, bytes: Uint8Array, options: PutOptions = {}): Promise<ObjectInfo> {
    const objectKey = this.#objectKey(key);
    validateBytes(bytes, key);
    const crc = checksumForPut(key, bytes, options.checksum);
    const command = new PutObjectCommand({
      Bucket: this.#config.bucket,
      Key: objectKey,
      Body: bytes,
      ContentLength: bytes.length,
      ContentType: 'application/octet-stream',
      Metadata: { [CRC32C_METADATA_KEY]: formatCrc32c(crc) },
      ...(options.ifNoneMatch === '*' ? { IfNoneMatch: '*' } : {}),
      ...(this.#config.serverChecksum === 'CRC32C' ? { ChecksumCRC32C: s3ChecksumHeader(crc) } : {}),
    });
    const output = await this.#call('put', key, options.signal, (abortSignal) => this.#client.send(command, { abortSignal }));
    return { key, size: bytes.length, crc32c: crc, etag: output.ETag ?? '' };
  }

  async get(key: string, options: GetOptions = {}): Promise<GetResult> {
    const objectKey = this.#objectKey(key);
    const range = options.range;
    if (range === undefined) return this.#getWhole(key, objectKey, options.signal);
    validateRangeShape(key, range);
    if (range.length === 0) return this.#emptyRange(key, range, options.signal);
    return this.#getRange(key, objectKey, range, options.signal);
  }

  async head(key: string, options: CallOptions = {}): Promise<ObjectInfo> {
    const objectKey = this.#objectKey(key);
    const command = new HeadObjectCommand({ Bucket: this.#config.bucket, Key: objectKey });
    const output = await this.#call('head', key, options.signal, (abortSignal) => this.#client.send(command, { abortSignal }));
    return {
      key,
      size: output.ContentLength ?? 0,
      crc32c: parseCrc32c(output.Metadata?.[CRC32C_METADATA_KEY]),
      etag: output.ETag ?? '',
    };
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<ObjectSummary> {
    validatePrefix(prefix);
    if (options.startAfter !== undefined) validatePrefix(options.startAfter);
    const fullPrefix = this.#config.prefix + prefix;
    let continuationToken: string | undefined;
    do {
      const command = new ListObjectsV2Command({
        Bucket: this.#config.bucket,
        Prefix: fullPrefix,
        MaxKeys: this.#config.listPageSize,
        ...(continuationToken === undefined && options.startAfter !== undefined ? { StartAfter: this.#config.prefix + options.startAfter } : {}),
        ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
      });
      const output = await this.#call('list', prefix, options.signal, (abortSignal) => this.#client.send(command, { abortSignal }));
      for (const entry of output.Contents ?? []) {
        if (entry.Key === undefined) continue;
        yield { key: entry.Key.slice(this.#config.prefix.length), size: entry.Size ?? 0, etag: entry.ETag ?? '' };
      }
      continuationToken = output.IsTruncated === true ? output.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async delete(key: string, options: CallOptions = {}): Promise<void> {
    const objectKey = this.#objectKey(key);
    const command = new DeleteObjectCommand({ Bucket: this.#config.bucket, Key: objectKey });
    await this.#call('delete', key, options.signal, (abortSignal) => this.#client.send(command, { abortSignal }));
  }

  async #getWhole(key: string, objectKey: string, signal: AbortSignal | undefined): Promise<GetResult> {
    const command = new GetObjectCommand({ Bucket: this.#config.bucket, Key: objectKey });
    const { output, bytes } = await this.#download(key, signal, command);
    const info = this.#infoOf(key, output, bytes.length);
    if (info.crc32c === undefined) throw missingChecksum('get', key);
    verifyChecksum(key, bytes, info.crc32c);
    return { bytes, info, verified: true };
  }

  async #getRange(key: string, objectKey: string, range: ByteRange, signal: AbortSignal | undefined): Promise<GetResult> {
    const last = range.length === undefined ? '' : String(range.offset + range.length - 1);
    const command = new GetObjectCommand({ Bucket: this.#config.bucket, Key: objectKey, Range: `bytes=${range.offset}-${last}` });
    let downloaded: { output: GetObjectCommandOutput; bytes: Uint8Array };
    try {
      downloaded = await this.#download(key, signal, command);
    } catch (error) {
      // 416 also answers a valid empty range at the very end of the object: decide by its size.
      if (error instanceof ArchiveError && error.code === 'ERR_INVALID_RANGE') return this.#emptyRange(key, range, signal);
      throw error;
    }
    const { output, bytes } = downloaded;
    const total = CONTENT_RANGE_TOTAL.exec(output.ContentRange ?? '')?.[1];
    if (total === undefined) {
      // The store ignored the Range header and sent the whole object.
      const [start, end] = resolveRange(key, range, bytes.length);
      return { bytes: bytes.slice(start, end), info: this.#infoOf(key, output, bytes.length), verified: false };
    }
    const size = Number(total);
    resolveRange(key, range, size); // S3 silently shortens a range that runs past the end
    return { bytes, info: this.#infoOf(key, output, size), verified: false };
  }

  async #emptyRange(key: string, range: ByteRange, signal: AbortSignal | undefined): Promise<GetResult> {
    const info = await this.head(key, { signal });
    resolveRange(key, range, info.size);
    return { bytes: new Uint8Array(0), info, verified: false };
  }

  async #download(key: string, signal: AbortSignal | undefined, command: GetObjectCommand): Promise<{ output: GetObjectCommandOutput; bytes: Uint8Array }> {
    return this.#call('get', key, signal, async (abortSignal) => {
      const output = await this.#client.send(command, { abortSignal });
      const bytes = output.Body === undefined ? new Uint8Array(0) : await output.Body.transformToByteArray();
      return { output, bytes };
    });
  }

  #infoOf(key: string, output: GetObjectCommandOutput, size: number): ObjectInfo {
    return { key, size, crc32c: parseCrc32c(output.Metadata?.[CRC32C_METADATA_KEY]), etag: output.ETag ?? '' };
  }

  /** Validates `key` and returns the bucket key (prefix + key), refusing keys that grow too long. */
  #objectKey(key: string): string {
    validateKey(key);
    const objectKey = this.#config.prefix + key;
    if (Buffer.byteLength(objectKey, 'utf8') > MAX_KEY_BYTES) {
      throw new ArchiveError('ERR_INVALID_KEY', `invalid key ${JSON.stringify(key)}: with the store's prefix it is longer than ${MAX_KEY_BYTES} UTF-8 bytes`, {
        key,
      });
    }
    return objectKey;
  }

  /** Runs one SDK call under the caller's signal and the call deadline, translating failures. */
  async #call<T>(op: ObjectStoreOperation, key: string, caller: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    throwIfAborted(caller, op, key);
    const signals: CallSignals = { caller, deadline: AbortSignal.timeout(this.#config.timeoutMs) };
    const combined = caller === undefined ? signals.deadline : AbortSignal.any([caller, signals.deadline]);
    try {
      return await run(combined);
    } catch (error) {
      throw fromSdkError(error, op, key, signals);
    }
  }
}
