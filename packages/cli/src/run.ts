import { parseCommandLine, type ArgumentSpec, type CommandSpec, type OptionSpec } from './args.js';
import { archiveCommands } from './commands/archive.js';
import {
  dumpWal,
  describeGone,
  describeSkipped,
  describeSkippedSalvaged,
  DEFAULT_DUMP_WIDTH,
  formatRecordLine,
  recordToJsonLine,
  type DumpSink,
} from './commands/dump.js';
import { describeTail, formatInspectReport, inspectReportToJson, inspectWal } from './commands/inspect.js';
import { describeRepairRisk, formatRepairReport, planRepair, repairReportToJson, repairWal, REPAIR_MODES, type RepairMode } from './commands/repair.js';
import { formatVerifyReport, verifyReportToJson, verifyWal } from './commands/verify.js';
import { ExitCode, NoriCliError } from './errors.js';
import { parseByteSize, parseCount, parsePosition, type BinaryEncoding, type LogPosition } from './format.js';
import { Output, type OutputStream } from './output.js';
import { formatCommandHelp, formatProgramHelp, type ProgramHelp } from './help.js';
import { shouldShowProgress, startProgress, type Progress } from './progress.js';
import { VERSION } from './version.js';

/** Streams the CLI writes to; defaults to the process's. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Where `repair` reads its confirmation from, when it is a terminal. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

type RepairCliOptions = {
  progress: boolean;
  mode: RepairMode;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  maxRecordSize?: number;
};

type CommonOptions = {
  json?: boolean;
  progress: boolean;
  maxRecordSize?: number;
};

const EXIT_CODES_HELP = `
Exit codes:
  0  success (verify: clean; a zero-filled, preallocated tail is not damage)
  1  could not run: missing directory, not a WAL directory, locked, bad --from, malformed salvaged.json, I/O error
  2  usage error: unknown command or option, bad argument; repair that would drop readable records, not confirmed (--yes)
  3  corruption before the tail (verify, dump); regions listed in salvaged.json are known, not corruption;
     restore: a damaged or missing archive object
  4  verify: torn tail only (the last record of the last segment is incomplete or damaged)`;

const MAX_RECORD_SIZE_OPTION: OptionSpec = {
  name: 'max-record-size',
  value: '<size>',
  help:
    'maxRecordSize handed to @nori/wal, in bytes or with a unit: b, kb (1000), kib (1024), mb, mib, gb, gib, e.g. 1kb ' +
    '(limits writes only; records up to 1 GiB are always read, as @nori/wal does)',
  parse: maxRecordSize,
};

const DIR_ARGUMENT: ArgumentSpec = { name: 'dir', help: 'WAL directory' };

const PROGRAM: ProgramHelp = {
  name: 'nori-wal',
  description: 'Inspect, dump, verify and repair nori write-ahead log directories (also ones written by Rust nori-wal).',
  after: EXIT_CODES_HELP,
};

/**
 * Runs `nori-wal` with `argv` (arguments after the program name) and resolves to the exit code.
 * Never calls `process.exit` and never throws for expected failures: errors are one line on
 * `io.stderr`, prefixed with `nori-wal: `.
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdout = new Output(io.stdout ?? process.stdout);
  const stderr = new Output(io.stderr ?? process.stderr);
  let exitCode: number = ExitCode.OK;
  const commands = buildCommands({
    stdout,
    stderr,
    stdin: () => io.stdin ?? process.stdin,
    setExit: (code) => {
      exitCode = code;
    },
  });
  try {
    const invocation = parseCommandLine(commands, argv);
    if (invocation.kind === 'version') {
      await stdout.write(`${VERSION}\n`);
      return ExitCode.OK;
    }
    if (invocation.kind === 'help') {
      const help = invocation.command === undefined ? formatProgramHelp(PROGRAM, commands) : formatCommandHelp(PROGRAM.name, invocation.command);
      // Bare `nori-wal` is a usage error: the help goes to stderr, as the reason for exit 2.
      await (invocation.toStderr ? stderr : stdout).write(help);
      return invocation.toStderr ? ExitCode.USAGE : ExitCode.OK;
    }
    await invocation.command.run(invocation.args, invocation.options);
    return exitCode;
  } catch (error) {
    if (error instanceof NoriCliError) {
      await stderr.write(`nori-wal: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | undefined)?.code;
    await stderr.write(`nori-wal: ${typeof code === 'string' ? `${code}: ` : ''}${message.split('\n')[0] ?? ''}\n`);
    if (process.env.NORI_DEBUG === '1' && error instanceof Error && error.stack !== undefined) {
      await stderr.write(`${error.stack}\n`);
    }
    return ExitCode.ERROR;
  }
}

/** What the command bodies write to and report through. */
interface CommandContext {
  stdout: Output;
  stderr: Output;
  /** A getter: process.stdin builds a ReadStream (~3 ms of every run) and only repair's prompt reads it. */
  stdin: () => CliIo['stdin'];
  setExit: (code: number) => void;
}

function buildCommands(context: CommandContext): CommandSpec[] {
  const { stderr } = context;
  const archive = archiveCommands({ ...context, withProgress: (options, label, run) => withProgress(stderr, options, label, run) });
  return [inspectCommand(context), dumpCommand(context), verifyCommand(context), repairCommand(context), ...archive];
}

/** The options inspect, dump and verify share. */
function commonOptions(json: string): OptionSpec[] {
  return [
    { name: 'json', help: json },
    { name: 'no-progress', help: 'never draw a progress bar (one is drawn on a terminal for logs over 32 MiB)' },
    MAX_RECORD_SIZE_OPTION,
  ];
}

function inspectCommand({ stdout, stderr, setExit }: CommandContext): CommandSpec {
  return {
    name: 'inspect',
    summary: 'segments, sizes, record counts, first/last positions, tails, lock holder',
    description:
      'Describe a WAL directory: every segment with its size, record count, first/last record offsets, where its data ends and ' +
      'any zero-filled (preallocated) or damaged tail; the lock holder; quarantined files. Read-only: takes no lock, changes nothing.',
    arguments: [DIR_ARGUMENT],
    options: commonOptions('print one JSON document instead of text'),
    helpAfter: ['\nExample:\n  nori-wal inspect /var/lib/app/wal\n  nori-wal inspect --json /var/lib/app/wal | jq .totals'],
    run: async ([dir = ''], options: CommonOptions) => {
      const report = await withProgress(stderr, options, 'inspect', (onProgress) =>
        inspectWal(dir, { ...limits(options), ...(onProgress === undefined ? {} : { onProgress }) }),
      );
      await stdout.write(options.json === true ? `${JSON.stringify(inspectReportToJson(report), null, 2)}\n` : formatInspectReport(report));
      setExit(ExitCode.OK);
    },
  };
}

function dumpCommand({ stdout, stderr, setExit }: CommandContext): CommandSpec {
  return {
    name: 'dump',
    summary: 'print records',
    description:
      'Print the records of a WAL directory in log order, one per line. Keys and values are shown as "utf-8 text" when printable, ' +
      'else 0x-hex, cut to --width characters. Damaged regions are skipped with a warning on stderr (exit 3); ' +
      'regions an earlier salvage listed in salvaged.json are skipped unread with a note (not an error). Read-only.',
    arguments: [DIR_ARGUMENT],
    options: [
      { name: 'from', value: '<segment:offset>', help: 'start at this record position (as printed by dump or inspect)', parse: (text) => parsePosition(text) },
      { name: 'limit', value: '<n>', help: 'stop after n records', parse: (text) => parseCount(text, '--limit') },
      {
        name: 'width',
        value: '<chars>',
        help: `characters of key/value shown in text output, 0 = all (default ${DEFAULT_DUMP_WIDTH})`,
        parse: (text) => parseCount(text, '--width'),
      },
      { name: 'encoding', value: '<encoding>', help: 'key/value encoding in --json output', choices: ['hex', 'base64'], default: 'hex' },
      ...commonOptions('print JSON lines (one object per record, keys/values in --encoding)'),
    ],
    helpAfter: [
      '\nExamples:\n  nori-wal dump /var/lib/app/wal --limit 10\n  nori-wal dump /var/lib/app/wal --from 3:4096 --json --encoding base64 | jq -r .keyText',
    ],
    run: async ([dir = ''], options: CommonOptions & { from?: LogPosition; limit?: number; width?: number; encoding: BinaryEncoding }) => {
      const width = options.width ?? DEFAULT_DUMP_WIDTH;
      const json = options.json === true;
      let lines: string[] = [];
      const note = (text: string): void => {
        // Records before a skipped region go out first, so the note lands between them and the rest.
        if (lines.length > 0) void stdout.write(`${lines.join('\n')}\n`);
        lines = [];
        void stderr.write(`nori-wal: ${text}\n`);
      };
      const sink: DumpSink = {
        record: (record) => {
          if (stdout.closed) return false;
          lines.push(json ? recordToJsonLine(record, options.encoding) : formatRecordLine(record, width));
          return true;
        },
        damage: (damage) => note(describeSkipped(damage)),
        salvaged: (region) => note(describeSkippedSalvaged(region)),
        gone: (segmentId) => note(describeGone(segmentId)),
        flush: async () => {
          if (lines.length === 0) return;
          const text = `${lines.join('\n')}\n`;
          lines = [];
          await stdout.write(text);
        },
      };
      const summary = await withProgress(stderr, { ...options, json: json || stdout.isTTY }, 'dump', (onProgress) =>
        dumpWal(dir, sink, {
          ...limits(options),
          ...(options.from === undefined ? {} : { from: options.from }),
          ...(options.limit === undefined ? {} : { limit: options.limit }),
          ...(onProgress === undefined ? {} : { onProgress }),
        }),
      );
      await sink.flush?.();
      if (summary.tail.kind === 'torn') await stderr.write(`nori-wal: warning: tail ${describeTail(summary.tail)}\n`);
      setExit(summary.exitCode);
    },
  };
}

function verifyCommand({ stdout, stderr, setExit }: CommandContext): CommandSpec {
  return {
    name: 'verify',
    summary: 'full CRC scan; non-zero exit on corruption',
    description:
      'Read every record of every segment, check its CRC32C and decompress compressed values. Reports each damaged region ' +
      '(segment:offset, reason). A torn record at the end of the last segment is reported as a torn tail (exit 4), ' +
      'earlier damage as corruption (exit 3); a zero-filled tail is normal after a crash (exit 0). Regions an earlier ' +
      '"repair --mode salvage" listed in salvaged.json are reported as salvaged (known, skipped), not as corruption. Read-only.',
    arguments: [DIR_ARGUMENT],
    options: commonOptions('print one JSON document instead of text'),
    helpAfter: [`\nExample:\n  nori-wal verify /var/lib/app/wal || echo "exit $?"\n${EXIT_CODES_HELP}`],
    run: async ([dir = ''], options: CommonOptions) => {
      const report = await withProgress(stderr, options, 'verify', (onProgress) =>
        verifyWal(dir, { ...limits(options), ...(onProgress === undefined ? {} : { onProgress }) }),
      );
      await stdout.write(options.json === true ? `${JSON.stringify(verifyReportToJson(report), null, 2)}\n` : formatVerifyReport(report));
      setExit(report.exitCode);
    },
  };
}

function repairCommand({ stdout, stderr, stdin, setExit }: CommandContext): CommandSpec {
  return {
    name: 'repair',
    summary: 'run recovery explicitly (takes the writer lock, quarantines damage)',
    description:
      'Run WAL recovery on the directory and print its report. Takes the writer lock: fails if a writer holds it. ' +
      'point-in-time keeps every record before the first damage and moves the rest to quarantine/; salvage keeps every ' +
      'readable record and skips damaged regions (recorded in salvaged.json, so every later open, verify, inspect and dump ' +
      'skip them; their bytes are copied to quarantine/NNNNNN.wal.skipped-OFFSET). Nothing is deleted. The result is verified afterwards.',
    arguments: [DIR_ARGUMENT],
    options: [
      { name: 'mode', value: '<mode>', help: 'recovery mode', choices: [...REPAIR_MODES], default: 'point-in-time' },
      { name: 'dry-run', help: 'only report what recovery would do: no lock, nothing changed' },
      { name: 'yes', short: 'y', help: 'do not ask before point-in-time takes readable records after the damage out of the log' },
      { name: 'json', help: 'print one JSON document instead of text' },
      { name: 'no-progress', help: 'never draw a progress bar (one is drawn on a terminal while a log over 32 MiB is verified after the repair)' },
      MAX_RECORD_SIZE_OPTION,
    ],
    helpAfter: [
      '\nExamples:\n  nori-wal repair --dry-run /var/lib/app/wal\n  nori-wal repair /var/lib/app/wal\n  nori-wal repair --mode salvage /var/lib/app/wal',
    ],
    run: async ([dir = ''], options: RepairCliOptions) => {
      if (options.dryRun !== true && options.yes !== true) await confirmRepair(dir, options, stdin(), stderr);
      const report = await withProgress(stderr, options, 'repair', (onProgress) =>
        repairWal(dir, {
          mode: options.mode,
          dryRun: options.dryRun === true,
          ...limits(options),
          ...(onProgress === undefined ? {} : { onProgress }),
        }),
      );
      await stdout.write(options.json === true ? `${JSON.stringify(repairReportToJson(report), null, 2)}\n` : formatRepairReport(report));
      // salvage leaves skipped regions in place (recorded in salvaged.json, which verify honours); a value that does not
      // decompress is not something recovery skips, so only point-in-time must verify clean.
      setExit(report.mode === 'point-in-time' ? (report.after?.exitCode ?? ExitCode.OK) : ExitCode.OK);
    },
  };
}

/**
 * Point-in-time drops every record after the first damage, readable or not. Before it takes
 * readable records out of the log, show the plan and ask (on a terminal) or refuse (without one):
 * a script must say `--yes`. Throws `ERR_NOT_CONFIRMED` (exit 2) when not confirmed; nothing changed.
 */
async function confirmRepair(dir: string, options: RepairCliOptions, stdin: CliIo['stdin'], stderr: Output): Promise<void> {
  const risk = await planRepair(dir, { mode: options.mode, ...limits(options) });
  if (risk.healthyRecordsRemoved === 0) return;
  await stderr.write(`${formatRepairReport(risk.plan)}\nnori-wal: ${describeRepairRisk(risk)}`);
  if (stdin.isTTY === true) {
    // Loaded here: readline/promises pulls in the stream modules, and only this prompt needs them.
    const { createInterface } = await import('node:readline/promises');
    const prompt = createInterface({ input: stdin, output: stderr.stream, terminal: false });
    try {
      const answer = await prompt.question('Proceed with point-in-time? [y/N] ');
      if (/^\s*y(?:es)?\s*$/i.test(answer)) return;
    } finally {
      prompt.close();
    }
    throw new NoriCliError('ERR_NOT_CONFIRMED', `${dir}: repair not confirmed; nothing was changed`);
  }
  throw new NoriCliError(
    'ERR_NOT_CONFIRMED',
    `${dir}: repair would remove ${risk.healthyRecordsRemoved} readable record(s); nothing was changed. Rerun with --yes to proceed, or use --mode salvage to keep them`,
  );
}

function limits(options: { maxRecordSize?: number }): { maxRecordSize?: number } {
  return options.maxRecordSize === undefined ? {} : { maxRecordSize: options.maxRecordSize };
}

async function withProgress<T>(
  stderr: Output,
  options: Pick<CommonOptions, 'json' | 'progress'>,
  label: string,
  run: (onProgress: ((done: number, total: number) => void) | undefined) => Promise<T>,
): Promise<T> {
  let bar: Progress | undefined;
  let decided = false;
  const onProgress = (done: number, total: number): void => {
    if (!decided) {
      decided = true;
      if (shouldShowProgress({ isTTY: stderr.isTTY, json: options.json === true, disabled: !options.progress, totalBytes: total })) {
        bar = startProgress(stderr.stream, label, total);
      }
    }
    bar?.update(done, total);
  };
  try {
    return await run(onProgress);
  } finally {
    bar?.stop();
  }
}

function maxRecordSize(text: string): number {
  const value = parseByteSize(text, '--max-record-size');
  if (value === 0) throw new Error(`invalid --max-record-size "${text}": must be at least 1 byte`);
  return value;
}
