import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

it('reads WAL directories only through @nori/storage: no source file imports node:fs or node:fs/promises', () => {
  // Listing, sizes, segment bytes, side files and the lock all go through NodeFileStorage, which
  // never follows links and opens read-only; a direct fs call would bypass both rules.
  // (The lock-staleness check reads /proc, not the WAL directory, through getBuiltinModule.)
  const fsImport = /^import [^;]*from ['"](node:)?fs(\/promises)?['"]|import\(['"](node:)?fs(\/promises)?['"]\)/m;
  const offenders = sourceFiles(srcDir).filter((file) => fsImport.test(readFileSync(file, 'utf8')));
  expect(offenders.map((file) => file.slice(srcDir.length))).toEqual([]);
});
