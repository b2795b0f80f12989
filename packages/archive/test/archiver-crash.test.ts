import { MemoryStorage } from '@nori/storage';
import { comparePositions, type Position, type WalConfig } from '@nori/wal';
import { describe, expect, it } from 'vitest';
import { Archiver, MemoryObjectStore } from '../src/index.js';
import { appendRecords, assembleGeneration, expectSameSegments, localSegments, openWal, readChunks, seededRandom, testOptions } from './archiver-support.js';

const ROUNDS = 5;
const POLICIES: NonNullable<WalConfig['fsync']>[] = ['always', 'os', { kind: 'batch', windowMs: 2 }];

/** What a flush acknowledged: this generation's archive holds the log up to `position`. */
interface Acknowledged {
  generation: number;
  position: Position;
}

/**
 * Rounds of: open the WAL, start an archiver (faulty store), append, sometimes flush, then stop
 * the archiver wherever it is (in-flight puts aborted) and lose power. Afterwards the archive is
 * one dense seq space, every generation obeys the continuity rule, every acknowledged position is
 * covered by its generation, every restart resumes the same generation, and that generation is
 * the local log byte for byte.
 */
async function crashRounds(seed: number): Promise<void> {
  const random = seededRandom(seed);
  const storage = new MemoryStorage({ seed });
  const store = new MemoryObjectStore({ seed, faults: [{ kind: 'random', probability: 0.2, ops: ['put', 'get', 'list', 'head'] }] });
  const acknowledged: Acknowledged[] = [];
  let next = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const wal = await openWal(storage, { fsync: POLICIES[Math.floor(random() * POLICIES.length)] as NonNullable<WalConfig['fsync']> });
    const archiver = await Archiver.start(wal, testOptions(store, { intervalMs: 1, maxChunkBytes: 400 + Math.floor(random() * 2000) }));
    const count = 5 + Math.floor(random() * 60);
    await appendRecords(wal, count, { from: next, size: 20 + Math.floor(random() * 300) });
    next += count;
    if (random() < 0.6) acknowledged.push({ generation: archiver.generation, position: await archiver.flush() });
    await appendRecords(wal, 10, { from: next });
    next += 10;
    for (let wait = Math.floor(random() * 4); wait > 0; wait--) await new Promise((resolve) => setTimeout(resolve, 1));
    await archiver.close(); // a kill: shipping stops wherever it is
    storage.crash(); // and the power goes (unsynced bytes may be lost)
  }
  store.clearFaults();
  const wal = await openWal(storage);
  const archiver = await Archiver.start(wal, testOptions(store));
  await archiver.flush();
  const chunks = await readChunks(store, 'arch');
  const generations = [...new Set(chunks.map((c) => c.header.generation))];
  // Only durable bytes were archived, so a power loss never leaves the local log behind its archive:
  // every restart resumes the one generation.
  expect(generations).toEqual([1]);
  const assembled = new Map(generations.map((g) => [g, assembleGeneration(chunks, g)]));
  for (const { generation, position } of acknowledged) {
    const segments = assembled.get(generation) as Map<number, Uint8Array>;
    const covered =
      position.offset === 0
        ? [...segments.keys()].some((id) => id >= position.segmentId - 1)
        : (segments.get(position.segmentId)?.length ?? 0) >= position.offset;
    expect(covered, `generation ${generation} covers acknowledged ${position.segmentId}:${position.offset}`).toBe(true);
  }
  expectSameSegments(assembled.get(archiver.generation) as Map<number, Uint8Array>, await localSegments(wal));
  expect(comparePositions(archiver.archivedPosition, wal.durablePosition)).toBe(0);
  await archiver.close();
  await wal.close();
}

describe('Archiver: kill and power loss while shipping', () => {
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    it(`seed ${seed}: ${ROUNDS} crash rounds lose nothing acknowledged and keep every generation continuous`, async () => {
      await crashRounds(seed);
    });
  }
});
