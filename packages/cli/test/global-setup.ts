import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));

/** Newest modification time of `dir` (a file, or recursively a directory), 0 if it does not exist. */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  if (!statSync(dir).isDirectory()) return statSync(dir).mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isStale(name: string, entry: string): boolean {
  const dist = join(packagesDir, name, 'dist', entry);
  if (!existsSync(dist)) return true;
  const built = statSync(dist).mtimeMs;
  return ['src', 'package.json', 'tsup.config.ts'].some((input) => newestMtime(join(packagesDir, name, input)) > built);
}

/**
 * The end-to-end tests run the built binary (`dist/cli.js`), which imports the other packages'
 * `dist/`: build the dependencies that were never built and this package when its build is older
 * than its sources, in dependency order, so that `vitest run` works on its own. (Under turbo
 * everything is already built and this is a no-op; dependencies' rebuilds are turbo's job.)
 */
export default function setup(): void {
  const packages: [string, string, boolean][] = [
    ['codec', 'index.js', false],
    ['storage', 'index.js', false],
    ['wal', 'index.js', false],
    ['archive', 'index.js', true],
    ['cli', 'cli.js', true],
  ];
  for (const [name, entry, rebuildWhenStale] of packages) {
    const built = existsSync(join(packagesDir, name, 'dist', entry));
    if (built && !(rebuildWhenStale && isStale(name, entry))) continue;
    try {
      execFileSync('pnpm', ['run', 'build'], { cwd: join(packagesDir, name), stdio: 'pipe' });
    } catch (error) {
      const output = error as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`building @nori/${name} failed:\n${String(output.stdout ?? '')}${String(output.stderr ?? '')}`);
    }
  }
}
