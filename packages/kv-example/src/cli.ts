#!/usr/bin/env node
import { runCli } from './cli/program.js';

void runCli(process.argv, {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  scriptPath: process.argv[1] ?? '',
}).then((code) => {
  process.exitCode = code;
});
