import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Wal, segmentName } from '@nori/wal';
import {
  ChunkKind,
  chunkKey,
  encodeChunk,
  encodeGenerationRecord,
  encodeGenerationStart,
  generationKey,
  newWriterId,
  type GenerationReason,
  type ObjectStore,
} from '../../src/index.js';

/** One chunk the helper wrote. */
export interface WrittenChunk {
  seq: number;
  key: string;
  kind: ChunkKind;
  segmentId: number;
  offset: number;
  length: number;
  createdAt: number;
}

/** Options of {@link archiveLog}. */
export interface ArchiveLogOptions {
  store: ObjectStore;
  prefix: string;
  /** A local WAL directory (its logical bytes are archived, oldest segment first). */
  dir: string;
  generation?: number;
  /** Seq of the generation-start chunk (default 0). */
  startSeq?: number;
  parentGeneration?: number | null;
  reason?: GenerationReason;
  /** Target payload sizes, cycled; a chunk is cut at the record boundary reaching its target. */
  chunkSizes?: readonly number[];
  /** `createdAt` of the chunk at `index` (0 = generation-start); default 1000 * (index + 1). */
  createdAt?: (index: number) => number;
  /** Write `P/generations/<g>.json` (default true). */
  writeRecord?: boolean;
}

/** Puts one chunk object exactly as an archiver would (conditional create). */
export async function putChunk(
  store: ObjectStore,
  prefix: string,
  header: { kind: ChunkKind; seq: number; generation: number; segmentId: number; offset: number; createdAt: number; writerId: string },
  payload: Uint8Array,
): Promise<string> {
  const key = chunkKey(prefix, header.seq);
  await store.put(key, encodeChunk(header, payload), { ifNoneMatch: '*' });
  return key;
}

async function readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const bytes = new Uint8Array(length);
    const { bytesRead } = await file.read(bytes, 0, length, offset);
    if (bytesRead !== length) throw new Error(`short read of ${path}`);
    return bytes;
  } finally {
    await file.close();
  }
}

/** Record boundaries per segment (offsets where records end), from the WAL's own reader. */
async function recordEnds(dir: string): Promise<Map<number, number[]>> {
  const { wal } = await Wal.open({ dir, readOnly: true });
  try {
    const ends = new Map<number, number[]>();
    for (const segment of await wal.segments()) if (segment.size > 0) ends.set(segment.id, []);
    for await (const entry of wal.read()) ends.get(entry.position.segmentId)?.push(entry.position.offset + entry.size);
    return ends;
  } finally {
    await wal.close();
  }
}

/**
 * Archives a local WAL directory as one generation, following LAYOUT.md with the layout
 * encoders: a generation-start chunk, then every segment's logical bytes from offset 0 in data
 * chunks of varying sizes cut at record boundaries, then the generation index record.
 */
export async function archiveLog(options: ArchiveLogOptions): Promise<WrittenChunk[]> {
  const { store, prefix } = options;
  const generation = options.generation ?? 1;
  const startSeq = options.startSeq ?? 0;
  const sizes = options.chunkSizes ?? [1000];
  const createdAt = options.createdAt ?? ((index: number) => 1000 * (index + 1));
  const writerId = newWriterId();
  const written: WrittenChunk[] = [];
  const put = async (kind: ChunkKind, segmentId: number, offset: number, payload: Uint8Array): Promise<void> => {
    const seq = startSeq + written.length;
    const at = createdAt(written.length);
    const key = await putChunk(store, prefix, { kind, seq, generation, segmentId, offset, createdAt: at, writerId }, payload);
    written.push({ seq, key, kind, segmentId, offset, length: payload.length, createdAt: at });
  };
  const start = { parentGeneration: options.parentGeneration ?? null, reason: options.reason ?? 'new-log' };
  await put(ChunkKind.generationStart, 0, 0, encodeGenerationStart(start));
  for (const [segmentId, ends] of await recordEnds(options.dir)) {
    let offset = 0;
    for (const end of ends) {
      const target = sizes[(written.length - 1) % sizes.length] as number;
      if (end - offset < target && end !== ends[ends.length - 1]) continue;
      await put(ChunkKind.data, segmentId, offset, await readRange(join(options.dir, segmentName(segmentId)), offset, end - offset));
      offset = end;
    }
  }
  if (options.writeRecord ?? true) {
    const record = { generation, startSeq, createdAt: new Date(createdAt(0)).toISOString(), writerId, ...start };
    await store.put(generationKey(prefix, generation), encodeGenerationRecord(record));
  }
  return written;
}
