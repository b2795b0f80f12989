import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temporary directory; `cleanup()` (or `await using`) removes it with everything inside. */
export interface TempDir extends AsyncDisposable {
  /** Absolute path of the directory. */
  readonly dir: string;
  /** Removes the directory recursively; safe to call twice. */
  cleanup: () => Promise<void>;
}

/** Creates a fresh directory under the OS temp dir, named `<prefix><random>`. */
export async function tempDir(prefix = 'nori-test-'): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  return { dir, cleanup, [Symbol.asyncDispose]: cleanup };
}

/**
 * Temp dirs that one test file shares and removes together: `make()` in the tests,
 * `cleanupAll()` in `afterEach`/`afterAll`.
 */
export class TempDirs {
  readonly #made: TempDir[] = [];
  readonly #prefix: string;

  /** A pool whose directories are named `<prefix><random>`. */
  constructor(prefix = 'nori-test-') {
    this.#prefix = prefix;
  }

  /** A fresh directory's path. */
  async make(prefix = this.#prefix): Promise<string> {
    const made = await tempDir(prefix);
    this.#made.push(made);
    return made.dir;
  }

  /** Removes every directory made so far. */
  async cleanupAll(): Promise<void> {
    await Promise.all(this.#made.splice(0).map((made) => made.cleanup()));
  }
}
