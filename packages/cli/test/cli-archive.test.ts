import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { Wal } from '@nori/wal';
import { S3ObjectStore } from '@nori/archive';
import { afterAll, expect, it } from 'vitest';
import { archiveLog, type WrittenChunk } from '../../archive/test/support/archive-log.js';
import { expectSameSegments, readAll, writeLog } from '../../archive/test/support/local-log.js';
import { cleanupScratch as cleanupArchiveScratch } from '../../archive/test/support/local-log.js';
import { describeS3, uniquePrefix } from '../../archive/test/s3-env.js';
import { GOLDEN_DIR } from '@nori/test-support';
import { cleanupScratch, runBin, scratchDir, type RunResult } from './helpers.js';

afterAll(cleanupScratch);
afterAll(cleanupArchiveScratch);

// End to end against a real S3 server (the project's Ceph RGW): the built binary reads the
// endpoint and path style from AWS_ENDPOINT_URL / NORI_S3_FORCE_PATH_STYLE, credentials from the
// AWS chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
describeS3('nori-wal restore / archive-list against S3', (env) => {
  const store = new S3ObjectStore(env.config);
  afterAll(() => store.destroy());
  const prefix = uniquePrefix('cli').replace(/\/$/, '');
  const url = `s3://${env.config.bucket}/${prefix}`;
  const childEnv = { AWS_ENDPOINT_URL: env.config.endpoint, NORI_S3_FORCE_PATH_STYLE: '1' };
  const secret = process.env['AWS_SECRET_ACCESS_KEY'] ?? '';
  const run = async (args: string[]): Promise<RunResult> => {
    const result = await runBin(args, { env: childEnv });
    if (secret !== '') expect(result.stdout + result.stderr).not.toContain(secret);
    return result;
  };
  let rust: string;
  let nori: string;
  let second: WrittenChunk[];

  it('archives two generations (test helper)', { timeout: 60_000 }, async () => {
    rust = join(GOLDEN_DIR, 'rotation_small');
    const first = await archiveLog({ store, prefix, dir: rust, chunkSizes: [3000], createdAt: (i) => Date.UTC(2026, 0, 1, 0, 0, i) });
    nori = await writeLog(120);
    second = await archiveLog({
      store,
      prefix,
      dir: nori,
      generation: 2,
      startSeq: first.length,
      parentGeneration: 1,
      reason: 'takeover',
      chunkSizes: [1500],
      createdAt: (i) => Date.UTC(2026, 0, 2, 0, 0, i),
    });
  });

  it('archive-list prints the generations (text and --json)', { timeout: 30_000 }, async () => {
    const text = await run(['archive-list', url]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/2 generation\(s\)/);
    expect(text.stdout).toMatch(/takeover/);
    const json = await run(['archive-list', url, '--json']);
    const listed = JSON.parse(json.stdout) as { generations: { generation: number; reason: string; endPosition: unknown; firstCreatedAt: string }[] };
    expect(listed.generations.map((g) => [g.generation, g.reason, g.firstCreatedAt])).toEqual([
      [1, 'new-log', '2026-01-01T00:00:00.000Z'],
      [2, 'takeover', '2026-01-02T00:00:00.000Z'],
    ]);
    const last = second.at(-1)!;
    expect(listed.generations[1]!.endPosition).toEqual({ segmentId: last.segmentId, offset: last.offset + last.length });
  });

  it('restores the newest generation, a position, a time and an older generation', { timeout: 60_000 }, async () => {
    const newest = join(await scratchDir(), 'newest');
    const result = await run(['restore', url, newest, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ generation: 2, records: 120 });
    await expectSameSegments(nori, newest);

    const entries = await readAll(nori);
    const cut = entries[50]!.position;
    const partial = join(await scratchDir(), 'partial');
    const cutRun = await run(['restore', url, partial, '--to', `${cut.segmentId}:${cut.offset + 2}`]);
    expect(cutRun.code, cutRun.stderr).toBe(0);
    expect(cutRun.stdout).toContain(`50 record(s) verified, end ${cut.segmentId}:${cut.offset}`);
    await expectSameSegments(nori, partial, cut);

    const timed = join(await scratchDir(), 'timed');
    const timeRun = await run(['restore', url, timed, '--to-time', '2026-01-02T00:00:03Z', '--json']);
    expect(JSON.parse(timeRun.stdout)).toMatchObject({ chunks: 4, lastSeq: second[3]!.seq });

    const older = join(await scratchDir(), 'older');
    expect((await run(['restore', url, older, '--generation', '1'])).code).toBe(0);
    await expectSameSegments(rust, older);
    const { wal } = await Wal.open({ dir: older, readOnly: true, recovery: 'strict' });
    await wal.close();
  });

  it('exit codes: non-empty destination 1, missing chunk 3 naming it, unknown generation 1', { timeout: 60_000 }, async () => {
    const busy = await scratchDir();
    await writeFile(join(busy, 'x'), 'x');
    const refused = await run(['restore', url, busy]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_DESTINATION_NOT_EMPTY/);
    expect((await run(['restore', url, join(busy, 'new'), '--generation', '9'])).stderr).toMatch(/ERR_NO_GENERATION/);
    await store.delete(second[2]!.key);
    const missing = await run(['restore', url, join(await scratchDir(), 'hole')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`ERR_OBJECT_MISSING: chunk ${second[2]!.key} is missing`);
  });
});
