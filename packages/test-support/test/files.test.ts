import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  GOLDEN_DIR,
  TempDirs,
  bytesEqual,
  copyGoldenCase,
  goldenCase,
  goldenCases,
  readWhole,
  readWholeIfExists,
  tempDir,
  type ReadableFile,
  type ReadableStorage,
} from '../src/index.js';

/** A storage over a map, with a file that reports a short read if asked past its end. */
function mapStorage(files: Map<string, Uint8Array>): ReadableStorage & { open: ReadableStorage['open'] } {
  return {
    exists: (name) => Promise.resolve(files.has(name)),
    open: (name): Promise<ReadableFile> => {
      const bytes = files.get(name);
      if (bytes === undefined) return Promise.reject(Object.assign(new Error(name), { code: 'ENOENT' }));
      let closed = false;
      return Promise.resolve({
        size: () => Promise.resolve(bytes.length),
        read: (buffer: Uint8Array, offset: number, length: number, position: number) => {
          if (closed) throw new Error('read after close');
          buffer.set(bytes.subarray(position, position + length), offset);
          return Promise.resolve(length);
        },
        close: () => {
          closed = true;
          return Promise.resolve();
        },
      });
    },
  };
}

describe('whole-file reads', () => {
  it('reads a whole file, and undefined for a missing one', async () => {
    const storage = mapStorage(new Map([['a', Uint8Array.of(1, 2, 3)]]));
    expect(bytesEqual(await readWhole(storage, 'a'), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(await readWholeIfExists(storage, 'b')).toBeUndefined();
    await expect(readWhole(storage, 'b')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('temp dirs', () => {
  const pool = new TempDirs('nori-ts-pool-');
  afterAll(() => pool.cleanupAll());

  it('removes a temp dir on dispose', async () => {
    let dir: string;
    {
      await using temp = await tempDir();
      dir = temp.dir;
      await writeFile(path.join(dir, 'x'), 'x');
      expect(existsSync(dir)).toBe(true);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it('removes every pooled dir at once', async () => {
    const a = await pool.make();
    const b = await pool.make();
    expect(path.basename(a).startsWith('nori-ts-pool-')).toBe(true);
    await pool.cleanupAll();
    expect(existsSync(a) || existsSync(b)).toBe(false);
  });
});

describe('golden loaders', () => {
  it('keeps u64 ttls exact and finds cases by directory', async () => {
    const all = await goldenCases();
    expect(all.length).toBeGreaterThan(0);
    const ttls = all.flatMap((entry) => entry.records.map((r) => r.ttl_ms));
    expect(ttls).toContain('18446744073709551615');
    const first = all[0];
    if (first === undefined) throw new Error('no cases');
    expect(await goldenCase(first.dir)).toBe(first);
    await expect(goldenCase('no-such-case')).rejects.toThrow(/no golden case/);
  });

  it('copies a case byte for byte', async () => {
    const [first] = await goldenCases();
    if (first === undefined) throw new Error('no cases');
    await using copy = await copyGoldenCase(first.dir);
    for (const file of first.files) {
      const original = await readFile(path.join(GOLDEN_DIR, first.dir, file.name));
      expect(bytesEqual(await readFile(path.join(copy.dir, file.name)), original)).toBe(true);
    }
  });
});
