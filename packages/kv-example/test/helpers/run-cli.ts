import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built `nori-kv` binary (vitest's global setup builds it). */
export const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

/** Exit code and output of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI with `args`; `env` is merged over this process's environment (without
 * NORI_KV_DIR); a variable set to `undefined` is removed.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeout = 30_000): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.NORI_KV_DIR;
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: childEnv, timeout }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
