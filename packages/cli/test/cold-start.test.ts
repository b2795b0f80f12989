import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeRecord } from '@nori/codec';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupScratch, runBin, scratchDir } from './helpers.js';

const MODULE_LOG = pathToFileURL(new URL('./fixtures/module-log.mjs', import.meta.url).pathname).href;

afterAll(cleanupScratch);

/** Runs the built binary and lists the module URLs it loaded. */
async function modulesLoadedBy(args: readonly string[]): Promise<{ stdout: string; modules: string[] }> {
  const logFile = join(await scratchDir('nori-cli-cold-'), 'modules.log');
  const run = await runBin(args, { env: { NODE_OPTIONS: `--import=${MODULE_LOG}`, NORI_MODULE_LOG: logFile } });
  expect(run.code).toBe(0);
  const modules = (await readFile(logFile, 'utf8')).split('\n').filter((line) => line !== '');
  return { stdout: run.stdout, modules };
}

describe('cold start of nori-wal', () => {
  it('--version loads neither commander nor @nori/wal', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const { stdout, modules } = await modulesLoadedBy(['--version']);
    expect(stdout).toBe(`${pkg.version}\n`);
    expect(modules.some((m) => m.endsWith('/dist/cli.js'))).toBe(true);
    expect(modules.filter((m) => m.includes('/commander/') || m.includes('/wal/dist/') || m.includes('cli-progress'))).toEqual([]);
  });

  it('verify of a small log imports no progress bar, no pure-JS codec and no node:crypto', async () => {
    const dir = join(await scratchDir('nori-cli-cold-'), 'log');
    await mkdir(dir);
    await writeFile(join(dir, '000000.wal'), encodeRecord({ key: 'k', value: 'v' }));
    const { stdout, modules } = await modulesLoadedBy(['verify', dir]);
    expect(stdout).toContain('OK');
    expect(modules.some((m) => m.includes('/wal/dist/'))).toBe(true);
    const avoidable = /cli-progress|\/lz4js\/|\/fzstd\/|\/crc-32\/|^node:crypto$|^node:worker_threads$/;
    expect(modules.filter((m) => avoidable.test(m))).toEqual([]);
  });
});
