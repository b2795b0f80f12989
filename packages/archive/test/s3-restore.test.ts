import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { S3ObjectStore, applyRetention, listGenerations, restore } from '../src/index.js';
import { archiveLog } from './support/archive-log.js';
import { cleanupScratch, copyGolden, expectSameSegments, readAll, scratchDir, writeLog } from './support/local-log.js';
import { describeS3, uniquePrefix } from './s3-env.js';

afterAll(cleanupScratch);

// Restore from a real S3 server (the project's Ceph RGW in CI): listing pages, ranged header
// reads, full verified reads, conditional creates and deletes all go over HTTP.
describeS3('restore from S3', (env) => {
  const store = new S3ObjectStore({ ...env.config, listPageSize: 4 });
  afterAll(() => store.destroy());

  it('restores an archived Rust log and a nori log byte for byte, to a position, and after retention', { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix('restore').replace(/\/$/, '');
    const rust = await copyGolden('rotation_small');
    const one = await archiveLog({ store, prefix, dir: rust, chunkSizes: [2500, 700], createdAt: (i) => 1_000 + i });
    const nori = await writeLog(150);
    await archiveLog({
      store,
      prefix,
      dir: nori,
      generation: 2,
      startSeq: one.length,
      parentGeneration: 1,
      reason: 'takeover',
      chunkSizes: [1800],
      createdAt: (i) => 9_000 + i,
    });

    const catalog = await listGenerations({ store, prefix });
    expect(catalog.generations.map((g) => [g.generation, g.reason, g.missingChunks])).toEqual([
      [1, 'new-log', 0],
      [2, 'takeover', 0],
    ]);

    const older = join(await scratchDir(), 'g1');
    expect((await restore({ store, prefix, dir: older, generation: 1 })).records).toBe((await readAll(rust)).length);
    await expectSameSegments(rust, older);

    const entries = await readAll(nori);
    const cut = entries[77]!.position;
    const partial = join(await scratchDir(), 'g2');
    const report = await restore({ store, prefix, dir: partial, to: { segmentId: cut.segmentId, offset: cut.offset + 1 } });
    expect(report).toMatchObject({ generation: 2, records: 77, end: cut });
    await expectSameSegments(nori, partial, cut);

    const retention = await applyRetention({ store, prefix, keepGenerations: 1 });
    expect(retention.chunkKeys).toHaveLength(one.length);
    const after = join(await scratchDir(), 'after');
    await restore({ store, prefix, dir: after });
    await expectSameSegments(nori, after);
    await expect(restore({ store, prefix, dir: join(await scratchDir(), 'gone'), generation: 1 })).rejects.toMatchObject({ code: 'ERR_NO_GENERATION' });
  });
});
