import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The CLI end-to-end tests run the BUILT `nori-kv` binary, which imports the other packages'
 * `dist/`: build this package and its dependencies first (turbo caches, so this is quick when
 * nothing changed).
 */
export default function setup(): void {
  execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@nori/kv-example...', '--output-logs=errors-only'], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' },
  });
}
