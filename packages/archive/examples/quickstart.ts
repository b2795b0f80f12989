import { crc32c } from '@nori/codec';
import { isArchiveError, MemoryObjectStore, S3ObjectStore, type ObjectStore } from '@nori/archive';

/**
 * Uploads a sealed segment exactly once. A retry after an ambiguous failure (timeout, lost
 * response) finds the key taken; the CRC32C in its metadata tells whether it is our upload.
 */
export async function archiveSegment(store: ObjectStore, key: string, bytes: Uint8Array): Promise<'uploaded' | 'already-archived'> {
  const checksum = crc32c(bytes) >>> 0;
  for (let attempt = 1; ; attempt++) {
    try {
      await store.put(key, bytes, { ifNoneMatch: '*', checksum });
      return 'uploaded';
    } catch (error) {
      if (isArchiveError(error, 'ERR_PRECONDITION_FAILED')) {
        const existing = await store.head(key);
        if (existing.crc32c === checksum && existing.size === bytes.length) return 'already-archived';
        throw error; // somebody else's object under our key: a fencing problem, not ours to fix
      }
      if (!isArchiveError(error) || !error.retryable || attempt === 3) throw error;
    }
  }
}

/** Lists what was archived under `prefix` and reads every object back, verified. */
export async function readBack(store: ObjectStore, prefix: string): Promise<string[]> {
  const lines: string[] = [];
  for await (const { key } of store.list(prefix)) {
    const { bytes, verified } = await store.get(key); // ERR_CHECKSUM_MISMATCH if damaged
    lines.push(`${key}: ${bytes.length} bytes${verified ? ', CRC32C ok' : ''}`);
  }
  return lines;
}

/** The demo against a simulated store whose first put "succeeds" but loses its response. */
export async function demo(
  store: ObjectStore = new MemoryObjectStore({ seed: 1, faults: [{ kind: 'lost-response', op: 'put', times: 1 }] }),
): Promise<string[]> {
  const segment = new TextEncoder().encode('sealed segment bytes');
  const outcome = await archiveSegment(store, 'wal/000001.wal', segment);
  return [`wal/000001.wal: ${outcome}`, ...(await readBack(store, 'wal/'))];
}

// Run directly: against S3 when NORI_S3_ENDPOINT/NORI_S3_BUCKET are set, else in memory.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { NORI_S3_ENDPOINT: endpoint, NORI_S3_BUCKET: bucket } = process.env;
  const store =
    endpoint !== undefined && bucket !== undefined
      ? new S3ObjectStore({ endpoint, bucket, forcePathStyle: true, prefix: `example/${Date.now()}/` })
      : undefined;
  for (const line of await demo(store)) console.log(line);
  if (store instanceof S3ObjectStore) store.destroy();
}
