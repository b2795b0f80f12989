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

it('no source file imports node:fs as a value (the ESM facade loads the streams stack: cold start)', () => {
  const valueImport = /^import (?!type\b)[^;]*from ['"](node:)?fs['"]/m;
  const offenders = sourceFiles(srcDir).filter((file) => valueImport.test(readFileSync(file, 'utf8')));
  expect(offenders.map((file) => file.slice(srcDir.length))).toEqual([]);
});
