import cliProgress from 'cli-progress';
import type { KvProgressEvent } from '../types.js';
import { formatBytes, formatCount } from './format.js';

/** Below these sizes a bar would only flicker, so none is drawn. */
const MIN_ENTRIES = 20_000;
const MIN_BYTES = 8 * 1024 * 1024;

const LABELS: Record<KvProgressEvent['phase'], string> = {
  'snapshot-load': 'loading snapshot',
  replay: 'replaying log   ',
  'snapshot-write': 'writing snapshot',
};

/** A progress sink for long store operations: bars on stderr when it is a TTY, silent otherwise. */
export interface ProgressReporter {
  onProgress: (event: KvProgressEvent) => void;
  /** Removes any bar that is still drawn. */
  stop(): void;
}

/** Creates a {@link ProgressReporter} on `stream`; it draws only when `stream.isTTY`. */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (stream.isTTY !== true) return { onProgress: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  let phase: KvProgressEvent['phase'] | undefined;
  let describe: (done: number) => string = String;

  const stop = (): void => {
    bar?.stop();
    bar = undefined;
    phase = undefined;
  };

  const onProgress = (event: KvProgressEvent): void => {
    if (phase !== event.phase) {
      stop();
      phase = event.phase;
      const inBytes = event.phase === 'replay';
      if (event.total < (inBytes ? MIN_BYTES : MIN_ENTRIES) || event.done >= event.total) return;
      describe = inBytes
        ? (done) => `${formatBytes(done)} / ${formatBytes(event.total)}`
        : (done) => `${formatCount(done)} / ${formatCount(event.total)} entries`;
      bar = new cliProgress.SingleBar(
        { stream, clearOnComplete: true, hideCursor: true, format: `${LABELS[event.phase]} [{bar}] {percentage}% | {amount}` },
        cliProgress.Presets.shades_classic,
      );
      bar.start(event.total, event.done, { amount: describe(event.done) });
      return;
    }
    bar?.update(Math.min(event.done, event.total), { amount: describe(event.done) });
    if (event.done >= event.total) stop();
  };

  return { onProgress, stop };
}
