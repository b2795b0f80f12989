import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveConnection, parseArchiveUrl } from '../src/commands/archive.js';
import { cleanupScratch, runBin, scratchDir } from './helpers.js';

afterAll(cleanupScratch);

describe('archive command arguments', () => {
  it('parses s3://bucket/prefix', () => {
    expect(parseArchiveUrl('s3://backups/app/wal/')).toEqual({ bucket: 'backups', prefix: 'app/wal' });
    expect(parseArchiveUrl('s3://backups')).toEqual({ bucket: 'backups', prefix: '' });
    for (const bad of ['backups/app', 's3:/x', 'http://x/y', 's3:///x']) expect(() => parseArchiveUrl(bad)).toThrow(/expected s3:\/\/bucket\/prefix/);
  });

  it('takes the endpoint and path style from flags, then the environment', () => {
    expect(archiveConnection({}, {})).toEqual({ endpoint: undefined, forcePathStyle: false });
    expect(archiveConnection({}, { AWS_ENDPOINT_URL: 'http://a', NORI_S3_FORCE_PATH_STYLE: 'true' })).toEqual({ endpoint: 'http://a', forcePathStyle: true });
    expect(archiveConnection({}, { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3' })).toEqual({ endpoint: 'http://s3', forcePathStyle: false });
    expect(archiveConnection({ endpoint: 'http://flag', pathStyle: true }, { AWS_ENDPOINT_URL: 'http://a', NORI_S3_FORCE_PATH_STYLE: '0' })).toEqual({
      endpoint: 'http://flag',
      forcePathStyle: true,
    });
  });

  it('usage errors exit 2 before any S3 call', async () => {
    const dir = await scratchDir();
    expect((await runBin(['restore', 'not-a-url', dir])).code).toBe(2);
    const both = await runBin(['restore', 's3://b/p', dir, '--to', '1:0', '--to-time', '2026-01-01T00:00:00Z']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--to-time.*cannot be used with.*--to/);
    expect((await runBin(['restore', 's3://b/p', dir, '--to-time', 'yesterday'])).code).toBe(2);
    expect((await runBin(['restore', 's3://b/p', dir, '--to', 'x:y'])).code).toBe(2);
  });

  it('other commands never load @nori/archive or the AWS SDK (cold start)', async () => {
    const logFile = join(await scratchDir('nori-cli-cold-'), 'modules.log');
    const moduleLog = pathToFileURL(new URL('./fixtures/module-log.mjs', import.meta.url).pathname).href;
    const run = await runBin(['inspect', '--help'], { env: { NODE_OPTIONS: `--import=${moduleLog}`, NORI_MODULE_LOG: logFile } });
    expect(run.code).toBe(0);
    const modules = (await readFile(logFile, 'utf8')).split('\n');
    expect(modules.some((m) => m.endsWith('/cli/dist/cli.js'))).toBe(true);
    expect(modules.filter((m) => m.includes('/archive/dist/') || m.includes('@aws-sdk') || m.includes('@smithy'))).toEqual([]);
  });
});
