import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '@nori/test-support';

const CHILD = fileURLToPath(new URL('./fixtures/cold-start-child.ts', import.meta.url));

/** Modules a process that only opens, appends and closes must not load (each costs cold start). */
const HEAVY_MODULES = ['/zod/', '/lz4-napi', '/zstd-napi/', '/@node-rs/crc32'];

interface ChildReport {
  required: string[];
  zlib: boolean;
  loaded: string[];
}

async function runChild(): Promise<ChildReport> {
  const temp = await tempDir();
  try {
    const logFile = `${temp.dir}/modules.log`;
    const stdout = execFileSync(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', CHILD], {
      env: { ...process.env, NORI_COLD_START_LOG: logFile },
      encoding: 'utf8',
    });
    const loaded = (await readFile(logFile, 'utf8')).split('\n').filter((line) => line !== '');
    return { ...(JSON.parse(stdout) as Omit<ChildReport, 'loaded'>), loaded };
  } finally {
    await temp.cleanup();
  }
}

// One child process (~1 s under tsx): module loading is per process, and the test workers share
// processes between files, so only a fresh process shows what a cold start loads.
describe('cold start', () => {
  it('opening a log and appending a small record loads no validation library, native addon or zlib', async () => {
    const report = await runChild();
    const modules = [...report.required, ...report.loaded];
    expect(modules.some((m) => m.includes('/packages/wal/src/wal.ts'))).toBe(true);
    for (const heavy of HEAVY_MODULES) expect(modules.filter((m) => m.includes(heavy))).toEqual([]);
    expect(report.zlib).toBe(false);
  });
});
