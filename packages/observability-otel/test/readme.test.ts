import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** README prose with line breaks folded, so a claim split over two lines still matches. */
const prose = readme.replace(/\s+/g, ' ');

describe('README', () => {
  it('describes how the WAL treats a throwing observer as packages/wal does (isolates it and warns once)', () => {
    expect(prose).not.toMatch(/WAL does not (catch|isolate)/i);
    expect(prose).toMatch(/The WAL isolates its observer/);
    expect(prose).toContain('NoriWalObserverWarning');
  });
});
