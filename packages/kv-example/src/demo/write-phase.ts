import { fork, type ChildProcess } from 'node:child_process';
import { KvError } from '../errors.js';
import { formatBytes, formatCount, formatDuration, formatRate, plural } from '../cli/format.js';
import { isWriterMessage, type WriterArguments, type WriterMessage } from './protocol.js';

/** Default cap on the write phase; the writer is killed at this point whatever its progress. */
export const WRITE_PHASE_LIMIT_MS = 20_000;

/** What the write phase saw. */
export interface WritePhase {
  /** The last acknowledgement report received (the kill came right after it). */
  killedAt: Extract<WriterMessage, { type: 'acked' }> | undefined;
  compactionStarted: boolean;
  compaction: Extract<WriterMessage, { type: 'compacted' }> | undefined;
  finishedBeforeKill: boolean;
}

/** Options of {@link runWritePhase}. */
export interface WritePhaseOptions {
  /** Path of the CLI script; the child runs `<cliPath> demo-writer`. */
  cliPath: string;
  args: WriterArguments;
  /** SIGKILL the child once this many operations are acknowledged. */
  killAt: number;
  out: (line: string) => void;
  /** Called with every acknowledgement report. */
  onAcked?: (message: Extract<WriterMessage, { type: 'acked' }>) => void;
  /** Kill the child after this long whatever its progress (default {@link WRITE_PHASE_LIMIT_MS}). */
  limitMs?: number;
}

/**
 * Forks the demo writer, relays its reports, SIGKILLs it once `killAt` operations are
 * acknowledged (or the time limit passes) and waits for it to die. Throws `ERR_FAILED` when the
 * writer failed, exited on its own, or acknowledged nothing.
 */
export async function runWritePhase(options: WritePhaseOptions): Promise<WritePhase> {
  const { cliPath, args, killAt, out } = options;
  const argv = [
    'demo-writer',
    '--dir',
    args.dir,
    '--records',
    String(args.records),
    '--seed',
    String(args.seed),
    '--started-at',
    String(args.startedAt),
    '--compact-at',
    String(args.compactAt),
  ];
  if (args.archivePrefix !== undefined) argv.push('--archive-prefix', args.archivePrefix);
  const child = fork(cliPath, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const phase: WritePhase = { killedAt: undefined, compactionStarted: false, compaction: undefined, finishedBeforeKill: false };
  out(`1. write   writer process ${String(child.pid)} started; it reports every acknowledged write to this process`);
  let failure: string | undefined;
  let killed = false;
  const kill = (): void => {
    if (killed) return;
    killed = true;
    child.kill('SIGKILL');
  };
  const limit = setTimeout(kill, options.limitMs ?? WRITE_PHASE_LIMIT_MS);
  child.on('message', (message: unknown) => {
    if (!isWriterMessage(message)) return;
    switch (message.type) {
      case 'acked':
        // Acknowledgements still in the pipe after the kill are real: the child only reports
        // writes the store acknowledged, so they count.
        if (message.acked >= (phase.killedAt?.acked ?? 0)) phase.killedAt = message;
        options.onAcked?.(message);
        if (message.acked >= killAt) kill();
        break;
      case 'compacting':
        phase.compactionStarted = true;
        out(`            online compaction started after ${formatCount(message.atOperation)} acknowledged ops; writes go on meanwhile`);
        break;
      case 'compacted':
        phase.compaction = message;
        out(
          `            compaction done in ${formatDuration(message.durationMs)}: snapshot of ${formatCount(message.entries)} keys ` +
            `(${formatBytes(message.snapshotBytes)}), ${plural(message.segmentsDeleted, 'WAL segment')} deleted`,
        );
        break;
      case 'finished':
        phase.finishedBeforeKill = !killed;
        kill();
        break;
      case 'failed':
        failure = message.message;
        kill();
        break;
    }
  });
  const exit = await waitForExit(child);
  clearTimeout(limit);
  if (failure !== undefined) throw new KvError('ERR_FAILED', `the demo writer failed: ${failure}`);
  if (!killed) throw new KvError('ERR_FAILED', `the demo writer exited on its own (${exit}) before it was killed`);
  if (phase.killedAt === undefined || phase.killedAt.acked === 0) {
    throw new KvError('ERR_FAILED', 'the demo writer acknowledged no write before it was killed; nothing to verify');
  }
  const last = phase.killedAt;
  if (phase.compactionStarted && phase.compaction === undefined) out('            (the kill came before that compaction reported back)');
  out(
    `            SIGKILL after ${formatCount(last?.acked ?? 0)} acknowledged operations (${formatCount(last?.issued ?? 0)} issued): ` +
      `${formatRate(last?.acked ?? 0, last?.elapsedMs ?? 0)}, ${formatRate(last?.records ?? 0, last?.elapsedMs ?? 0, 'records')}`,
  );
  return phase;
}

function waitForExit(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(signal ?? `code ${String(code)}`));
  });
}
