import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StorageError, validateName } from '../src/index.js';

const ROOT = path.resolve('/srv/nori-root');

describe('validateName', () => {
  it('accepts ordinary relative names unchanged', () => {
    for (const name of ['000001.wal', 'quarantine/000003.wal', 'batches.intent', 'a/b/c', '..a', 'a..']) {
      expect(validateName(name)).toBe(name);
    }
  });

  it('never accepts a name that resolves outside the root (property)', () => {
    const piece = fc.constantFrom('..', '.', '', 'a', 'b.wal', '/', '\\', '\0', 'C:', ' ', '...');
    const name = fc.oneof(
      fc.string(),
      fc.array(piece, { maxLength: 8 }).map((p) => p.join('')),
      fc.array(piece, { maxLength: 6 }).map((p) => p.join('/')),
    );
    fc.assert(
      fc.property(name, (candidate) => {
        let accepted = true;
        try {
          validateName(candidate);
        } catch (error) {
          expect(error).toBeInstanceOf(StorageError);
          expect((error as StorageError).code).toBe('ERR_INVALID_PATH');
          accepted = false;
        }
        if (accepted) {
          const resolved = path.resolve(ROOT, ...candidate.split('/'));
          expect(resolved.startsWith(ROOT + path.sep)).toBe(true);
          expect(path.relative(ROOT, resolved).split(path.sep).join('/')).toBe(candidate);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every name made of safe segments (property)', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
        const name = segments.join('/');
        expect(validateName(name)).toBe(name);
      }),
    );
  });
});
