/**
 * Issue 12, item 3 (d) on the real file system: links and directories named like segments or
 * side files are refused at open with a typed error, never followed and never skipped silently.
 * Needs no root: it runs on the machine's temporary directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Wal, WalError } from '../../src/index.js';
import { collect, text } from '@nori/test-support';

const VICTIM_TEXT = 'a foreign file the log must never write into\n';
let base: string;
let dir: string;
let victim: string;

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'nori-links-'));
  dir = path.join(base, 'wal');
  victim = path.join(base, 'victim.txt');
  fs.writeFileSync(victim, VICTIM_TEXT);
});

afterEach(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

async function writeLog(keys: readonly string[], maxSegmentSize = 1024): Promise<void> {
  const { wal } = await Wal.open({ dir, fsync: 'always', preallocate: false, maxSegmentSize });
  for (const key of keys) await wal.append({ key, value: 'v'.repeat(200) });
  await wal.close();
}

async function openError(options: { readOnly?: boolean } = {}): Promise<WalError> {
  const caught = await Wal.open({ dir, fsync: 'always', ...options }).then(
    async ({ wal }) => {
      await wal.close();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(WalError);
  return caught as WalError;
}

async function readKeys(): Promise<string[]> {
  const { wal } = await Wal.open({ dir, readOnly: true });
  const keys = (await collect(wal.read())).map((e) => text(e.key));
  await wal.close();
  return keys;
}

function segments(): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.wal'))
    .sort();
}

describe('links and directories in the WAL directory (real file system)', () => {
  it('a link named like the next segment fails Wal.open with ERR_NOT_REGULAR_FILE naming it; the target is untouched', async () => {
    await writeLog(['a', 'b']);
    fs.symlinkSync(victim, path.join(dir, '000002.wal'));
    for (const readOnly of [false, true]) {
      const error = await openError({ readOnly });
      expect(error.code).toBe('ERR_NOT_REGULAR_FILE');
      expect(error.message).toContain('000002.wal');
      expect((error.cause as { code?: string }).code).toBe('ERR_SYMLINK');
    }
    expect(fs.readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
  });

  it('a last segment replaced by a directory fails Wal.open instead of the first append', async () => {
    await writeLog(Array.from({ length: 8 }, (_, i) => `k${i}`));
    const last = segments().at(-1) as string;
    expect(segments().length).toBeGreaterThan(1);
    fs.rmSync(path.join(dir, last));
    fs.mkdirSync(path.join(dir, last));
    const error = await openError();
    expect(error.code).toBe('ERR_NOT_REGULAR_FILE');
    expect(error.message).toContain(last);
    expect((error.cause as { code?: string }).code).toBe('EISDIR');
    expect(fs.statSync(path.join(dir, last)).isDirectory()).toBe(true);
  });

  it('a linked side file (batches.intent) or quarantine directory is refused too', async () => {
    await writeLog(['a']);
    fs.symlinkSync(victim, path.join(dir, 'batches.intent'));
    expect((await openError()).message).toContain('batches.intent');
    fs.rmSync(path.join(dir, 'batches.intent'));
    fs.mkdirSync(path.join(base, 'elsewhere'));
    fs.symlinkSync(path.join(base, 'elsewhere'), path.join(dir, 'quarantine'));
    expect((await openError()).message).toContain('quarantine');
    fs.rmSync(path.join(dir, 'quarantine'));
    expect(await readKeys()).toEqual(['a']);
    expect(fs.readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
  });

  it('a linked index.json or truncate.intent (sequence-number side files) is refused, never followed', async () => {
    await writeLog(['a']);
    for (const name of ['index.json', 'truncate.intent']) {
      fs.symlinkSync(victim, path.join(dir, name));
      const error = await openError();
      expect(error.code).toBe('ERR_NOT_REGULAR_FILE');
      expect(error.message).toContain(name);
      fs.rmSync(path.join(dir, name));
    }
    expect(await readKeys()).toEqual(['a']);
    expect(fs.readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
  });

  it('a link planted as the next segment while the log runs fails the rotating append with a typed cause; acknowledged records survive', async () => {
    const { wal } = await Wal.open({ dir, fsync: 'always', preallocate: false, maxSegmentSize: 1024 });
    await wal.append({ key: 'first', value: 'v'.repeat(200) });
    fs.symlinkSync(victim, path.join(dir, '000001.wal'));
    const acked: string[] = ['first'];
    let failure: unknown;
    for (let i = 0; i < 10 && failure === undefined; i++) {
      await wal.append({ key: `k${i}`, value: 'v'.repeat(200) }).then(
        () => acked.push(`k${i}`),
        (error: unknown) => (failure = error),
      );
    }
    expect((failure as WalError).code).toBe('ERR_FAILED');
    expect(((failure as WalError).cause as { code?: string }).code).toBe('ERR_SYMLINK');
    await wal.close().catch(() => undefined);
    expect(fs.readFileSync(victim, 'utf8')).toBe(VICTIM_TEXT);
    fs.rmSync(path.join(dir, '000001.wal'));
    expect(await readKeys()).toEqual(acked);
  });

  it('the WAL directory itself may be a link (only entries inside it are refused)', async () => {
    const real = path.join(base, 'real-wal');
    fs.mkdirSync(real);
    fs.symlinkSync(real, dir);
    await writeLog(['a', 'b', 'c', 'd', 'e']);
    expect(await readKeys()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(fs.readdirSync(real).filter((name) => name.endsWith('.wal')).length).toBeGreaterThan(1);
  });
});
