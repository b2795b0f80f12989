import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo/run-demo.js';

const fakeWriter = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/fake-writer.mjs');
let base: string;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'nori-kv-demo-fail-'));
});

afterAll(async () => {
  delete process.env.FAKE_WRITER;
  await fs.rm(base, { recursive: true, force: true });
});

const output: string[] = [];

async function demoWith(mode: string): Promise<unknown> {
  process.env.FAKE_WRITER = mode;
  output.length = 0;
  return runDemo({ dir: path.join(base, mode), records: 1000, seed: 1, cliPath: fakeWriter, out: (line) => output.push(line) }).catch(
    (error: unknown) => error,
  );
}

describe('demo failure handling', () => {
  it('fails when the writer reports an error', async () => {
    expect(await demoWith('fails')).toMatchObject({ code: 'ERR_FAILED', message: expect.stringContaining('disk on fire') as unknown });
  });

  it('fails when the writer exits before it is killed', async () => {
    expect(await demoWith('exits')).toMatchObject({ code: 'ERR_FAILED', message: expect.stringContaining('exited on its own') as unknown });
  });

  it('exits with 1 and names the missing writes when acknowledged writes are not in the store', async () => {
    expect(await demoWith('lies')).toBe(1);
    const text = output.join('\n');
    expect(text).toContain('FAILED: the recovered store matches no state that contains all 100 acknowledged operations');
    expect(text).toMatch(/expected .*, found absent/);
    expect(text).toContain('LOST DATA. Reproduce with: nori-kv demo --records 1000 --seed 1');
  });

  it('fails when nothing was acknowledged, instead of verifying an empty store', async () => {
    expect(await demoWith('silent')).toMatchObject({ code: 'ERR_FAILED', message: expect.stringContaining('acknowledged no write') as unknown });
  });
});
