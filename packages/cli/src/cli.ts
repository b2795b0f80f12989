#!/usr/bin/env node
import { VERSION } from './version.js';

/**
 * `nori-wal --version` alone is answered before loading the command table, the commands and @nori/wal:
 * it is what scripts and health checks run most, and it needs none of them (cold start).
 */
const VERSION_FLAGS: ReadonlySet<string> = new Set(['-V', '--version']);

const argv = process.argv.slice(2);
if (argv.length === 1 && VERSION_FLAGS.has(argv[0] ?? '')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  const { runCli } = await import('./run.js');
  runCli(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`nori-wal: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
