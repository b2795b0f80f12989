/**
 * Runnable example: `node --conditions=@nori/source --import tsx examples/walk-segment.ts [dir]`.
 * Writes a small log, damages one record, and walks the segment with `@nori/wal/scan`: the walker
 * reports the damage with where records start again, and says how the data ends.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { NodeFileStorage } from '@nori/storage';
import { Wal } from '@nori/wal';
import { walkSegment, type SegmentEnd, type WalkDamage } from '@nori/wal/scan';

/** What {@link walkSegmentExample} found. */
export interface WalkExampleResult {
  keys: string[];
  damage: WalkDamage[];
  end: SegmentEnd;
}

/** Runs the example in `dir`. */
export async function walkSegmentExample(dir: string): Promise<WalkExampleResult> {
  const positions = [];
  {
    await using wal = await Wal.open({ dir, preallocate: false }).then((r) => r.wal);
    for (const key of ['a', 'b', 'c', 'd']) positions.push((await wal.append({ key, value: `value of ${key}` })).position);
  }
  const storage = new NodeFileStorage(dir);
  const file = await storage.open('000000.wal');
  try {
    // Flip one byte inside record "b": its CRC no longer matches.
    const at = (positions[1]?.offset ?? 0) + 5;
    const byte = new Uint8Array(1);
    await file.read(byte, 0, 1, at);
    await file.writev([Uint8Array.of((byte[0] ?? 0) ^ 0xff)], at);
    const decoder = new TextDecoder();
    const keys: string[] = [];
    const damage: WalkDamage[] = [];
    const { end } = await walkSegment(
      file,
      { fileSize: await file.size(), maxRecordSize: 1024 * 1024 },
      { record: (record) => void keys.push(decoder.decode(record.key())), damage: (found) => void damage.push(found) },
    );
    console.log('records', keys, 'damage', damage, 'end', end);
    return { keys, damage, end };
  } finally {
    await file.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await walkSegmentExample(process.argv[2] ?? (await mkdtemp(path.join(tmpdir(), 'nori-walk-'))));
}
