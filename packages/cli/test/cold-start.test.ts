import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

  it('verify of a small log imports no argument-parser package, no WAL engine, no progress bar, no pure-JS codec, no node:crypto, no readline and no node:fs facade', async () => {
    const dir = join(await scratchDir('nori-cli-cold-'), 'log');
    await mkdir(dir);
    await writeFile(join(dir, '000000.wal'), encodeRecord({ key: 'k', value: 'v' }));
    const { stdout, modules } = await modulesLoadedBy(['verify', dir]);
    expect(stdout).toContain('OK');
    expect(modules.some((m) => m.includes('/wal/dist/'))).toBe(true);
    // @nori/wal/scan holds what verify needs; the engine (@nori/wal's main entry, ~150 KB) stays unloaded.
    expect(modules.filter((m) => m.endsWith('/wal/dist/index.js'))).toEqual([]);
    // readline/promises (repair's prompt only) pulls in the stream modules.
    const avoidable = /cli-progress|\/commander\/|\/lz4js\/|\/fzstd\/|\/crc-32\/|^node:(crypto|worker_threads|fs|readline\/promises)$/;
    expect(modules.filter((m) => avoidable.test(m))).toEqual([]);
  });
});

describe('cold start of a process using @nori/wal (dist, as the cold-start bench runs it)', () => {
  it('open, append one record, close: no node:crypto, worker_threads, streams, perf_hooks, lz4js or fzstd', async () => {
    const dir = join(await scratchDir('nori-cli-cold-'), 'log');
    const wal = pathToFileURL(fileURLToPath(new URL('../../wal/dist/index.js', import.meta.url))).href;
    const script = [
      `import { Wal } from ${JSON.stringify(wal)};`,
      `const { wal } = await Wal.open({ dir: ${JSON.stringify(dir)}, maxSegmentSize: 1024 * 1024 });`,
      `await wal.append({ key: 'k', value: 'v' });`,
      `await wal.close();`,
      // Builtins (however loaded) and CommonJS packages; nothing is printed before this line.
      `const required = Object.keys((await import('node:module')).createRequire(import.meta.url).cache);`,
      `const report = JSON.stringify({ builtins: process.moduleLoadList, required });`,
      `process.stdout.write(report);`,
    ].join('\n');
    // A script file: `node -e` itself loads streams (for stdin).
    const file = join(dir, '..', 'open-append-close.mjs');
    await writeFile(file, script);
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const { builtins, required } = JSON.parse(out) as { builtins: string[]; required: string[] };
    expect(builtins.filter((m) => /^NativeModule (crypto|worker_threads|stream|internal\/fs\/streams|perf_hooks)$/.test(m))).toEqual([]);
    expect(required.filter((file) => /\/(lz4js|fzstd|crc-32)\//.test(file))).toEqual([]);
  });
});
