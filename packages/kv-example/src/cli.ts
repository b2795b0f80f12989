#!/usr/bin/env node
import { runCli } from './cli/program.js';

// `nori-kv scan | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

void runCli(process.argv, {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  scriptPath: process.argv[1] ?? '',
}).then((code) => {
  process.exitCode = code;
});
