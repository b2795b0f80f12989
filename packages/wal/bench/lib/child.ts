import { spawn } from 'node:child_process';

/** How a child benchmark process ended. */
export interface ChildOutcome {
  /** The last line the child printed on stdout, parsed as JSON (undefined if none). */
  readonly message: unknown;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Runs `script` (a bench/children/*.ts file) in a fresh Node process with the same loader flags
 * as this one (`--conditions=@nori/source --import tsx`) plus `extraFlags`, and returns its last
 * stdout line as JSON. Rejects on a non-zero exit unless `expectSignal` names how it must die.
 */
export function runChild(
  script: string,
  args: readonly string[],
  options: { extraFlags?: readonly string[]; expectSignal?: NodeJS.Signals } = {},
): Promise<ChildOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, ...(options.extraFlags ?? []), script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const expected = options.expectSignal ? signal === options.expectSignal : code === 0;
      if (!expected) {
        reject(new Error(`${script} exited with code ${code} signal ${signal}`));
        return;
      }
      const last = stdout.trim().split('\n').pop();
      try {
        resolvePromise({ message: last ? JSON.parse(last) : undefined, code, signal });
      } catch (error) {
        reject(new Error(`${script} printed no JSON result: ${String(error)}`));
      }
    });
  });
}
