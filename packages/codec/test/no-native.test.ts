import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(new URL('../../../testdata/golden/nori-wal-rust/manifest.json', import.meta.url), 'utf8')) as {
  cases: { name: string; records: { value_len: number }[] }[];
};

function probe(...args: string[]): Record<string, unknown> {
  const out = execFileSync(
    process.execPath,
    ['--require', './test/fixtures/hide-native.cjs', '--conditions=@nori/source', '--import', 'tsx', './test/fixtures/fallback-probe.ts', ...args],
    { cwd: packageDir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NORI_HIDE_NATIVE: '', NODE_OPTIONS: '' } },
  );
  return JSON.parse(out) as Record<string, unknown>;
}

function expectedSegment(name: string) {
  const c = manifest.cases.find((x) => x.name === name)!;
  return { status: 'end', records: c.records.length, bytes: c.records.reduce((n, r) => n + r.value_len, 0) };
}

/** Node >= 22.15 / 23.8 has zstd built into zlib: then addons are not needed for zstd. */
const nodeHasZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';

describe.each([
  ['without native addons', [], nodeHasZstd],
  ['without a Node `process` (browser-like)', ['--no-process'], false],
])('@nori/codec %s', (_name, args, zlibZstd) => {
  const report = probe(...args);

  it(`imports and selects the pure-JS implementations${zlibZstd ? ' (zstd: node:zlib)' : ''}`, () => {
    expect(report['backends']).toEqual({
      crc32c: { small: 'js', large: 'js' },
      lz4: 'lz4js',
      zstd: zlibZstd ? { compress: 'node:zlib', decompress: 'node:zlib' } : { compress: undefined, decompress: 'fzstd' },
    });
    expect(report['crc']).toBe('70dc2c5b'); // = native crc32c, checked in crc32c.test.ts;
  });

  it('round-trips lz4 with lz4js', () => {
    expect(report['lz4RoundTrip']).toBe(true);
  });

  it(zlibZstd ? 'encodes zstd with node:zlib' : 'refuses zstd encoding with ERR_COMPRESSION_UNAVAILABLE', () => {
    const expected = zlibZstd ? 'ok' : expect.objectContaining({ code: 'ERR_COMPRESSION_UNAVAILABLE', message: expect.stringMatching(/22\.15.*zstd-napi/) });
    expect(report['zstdEncode']).toEqual(expected);
  });

  it('reads the golden Rust zstd and lz4 segments', () => {
    expect(report['zstdSegment']).toEqual(expectedSegment('zstd'));
    expect(report['lz4Segment']).toEqual(expectedSegment('lz4'));
  });
});

it('the browser path has no static Node imports', () => {
  const srcDir = new URL('../src/', import.meta.url);
  for (const file of readdirSync(srcDir)) {
    const text = readFileSync(new URL(file, srcDir), 'utf8');
    expect(text, file).not.toMatch(/from ['"]node:/);
    expect(text, file).not.toMatch(/\brequire\(/);
    expect(text, file).not.toMatch(/from ['"](@node-rs\/crc32|lz4-napi|zstd-napi)['"]/);
  }
});
