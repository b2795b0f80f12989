import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('examples/remote-durable.ts', () => {
  it('promotes a new primary holding the remote-durable write and fences the old one', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=@nori/source', '--import', 'tsx', 'examples/remote-durable.ts'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stdout.trim().split('\n')).toEqual(['ada', 'ERR_FENCED']);
  }, 70_000);
});
