import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

it('importing the package loads no pure-JS codec; the first lz4 value without the addon loads lz4js', () => {
  const out = execFileSync(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', './test/fixtures/lazy-probe.ts'], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  expect(JSON.parse(out)).toEqual({ afterImport: [], afterPlainRecord: [], afterLz4: ['lz4js'] });
});

it('only the browser entry imports lz4js and fzstd statically (the default entry requires them on first use)', () => {
  const srcDir = new URL('../src/', import.meta.url);
  const staticImport = /^import (?!type\b)[^;]*from ['"](lz4js|fzstd|crc-32[^'"]*)['"]/m;
  const importers = readdirSync(srcDir).filter((file) => staticImport.test(readFileSync(new URL(file, srcDir), 'utf8')));
  expect(importers).toEqual(['browser.ts']);
});
