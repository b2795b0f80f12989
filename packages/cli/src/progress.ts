import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';

let cliProgress: typeof CliProgress | undefined;

/**
 * cli-progress is required on the first bar, not imported: it is CommonJS and cost every CLI run
 * ~8 ms of start, while bars appear only for large logs on a terminal.
 */
function loadCliProgress(): typeof CliProgress {
  cliProgress ??= createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  return cliProgress;
}

/** Logs smaller than this scan too fast for a progress bar to help. */
export const PROGRESS_THRESHOLD_BYTES = 32 * 1024 * 1024;

/** Inputs of {@link shouldShowProgress}. */
export interface ProgressDecision {
  /** Whether stderr is a terminal. */
  isTTY: boolean;
  /** `--json` output: never draw anything besides the JSON. */
  json: boolean;
  /** `--no-progress`. */
  disabled: boolean;
  /** Bytes the command will scan. */
  totalBytes: number;
  /** Minimum size worth a bar (default {@link PROGRESS_THRESHOLD_BYTES}). */
  thresholdBytes?: number;
}

/** A progress bar is drawn only on a terminal, never with `--json`, and only for large logs. */
export function shouldShowProgress(decision: ProgressDecision): boolean {
  return decision.isTTY && !decision.json && !decision.disabled && decision.totalBytes >= (decision.thresholdBytes ?? PROGRESS_THRESHOLD_BYTES);
}

/** A started progress bar; `update` takes bytes done, `stop` clears the line. */
export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** Starts a byte-count progress bar on `stream` (a TTY). */
export function startProgress(stream: NodeJS.WritableStream, label: string, total: number): Progress {
  const { SingleBar } = loadCliProgress();
  const bar = new SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {done}/{all} MiB | ETA {eta_formatted}`,
    clearOnComplete: true,
    hideCursor: true,
    barsize: 30,
    fps: 5,
  });
  const mib = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(0);
  bar.start(total, 0, { done: '0', all: mib(total) });
  return {
    update(done, all) {
      bar.setTotal(all);
      bar.update(Math.min(done, all), { done: mib(Math.min(done, all)), all: mib(all) });
    },
    stop() {
      bar.stop();
    },
  };
}
