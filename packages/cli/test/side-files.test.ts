import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SKIPPED_REGIONS, SKIPPED_REGIONS_MAX_BYTES } from '@nori/wal';
import { afterAll, describe, expect, it } from 'vitest';
import { SALVAGED_FILE, verifyWal } from '../src/index.js';
import { cleanupScratch, copyGolden } from './helpers.js';

afterAll(cleanupScratch);

describe('a hostile salvaged.json is refused before it is read', () => {
  it('larger than @nori/wal ever writes it', async () => {
    const dir = await copyGolden('rotation_small');
    // Valid JSON padded past the limit: only the size tells it apart.
    const padded = Buffer.alloc(SKIPPED_REGIONS_MAX_BYTES + 1, 0x20);
    padded.write('{"version":1,"regions":[]}', 0);
    await writeFile(join(dir, SALVAGED_FILE), padded);
    await expect(verifyWal(dir)).rejects.toMatchObject({ code: 'ERR_BAD_SALVAGED', message: /salvaged\.json.*more than the \d+ bytes/ });
  });

  it('listing more regions than salvage records', async () => {
    const dir = await copyGolden('rotation_small');
    const regions = Array.from({ length: MAX_SKIPPED_REGIONS + 1 }, (_, i) => ({
      from: { segmentId: 0, offset: 2 * i },
      to: { segmentId: 0, offset: 2 * i + 1 },
    }));
    await writeFile(join(dir, SALVAGED_FILE), JSON.stringify({ version: 1, regions }));
    await expect(verifyWal(dir)).rejects.toMatchObject({ code: 'ERR_BAD_SALVAGED', message: /more than the \d+ salvage ever records/ });
  });
});
