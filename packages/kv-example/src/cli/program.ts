import { Command, CommanderError, Option } from 'commander';
import { KvError } from '../errors.js';
import { runArchiveDemo } from '../demo/run-archive-demo.js';
import { runDemo } from '../demo/run-demo.js';
import { demoArchivePrefix, demoS3Config } from '../demo/s3-env.js';
import { runDemoWriter } from '../demo/writer.js';
import { KvUsageError, parseLimit, parseRecords, parseSeed, parseTtl } from './arguments.js';
import { compactCommand, deleteCommand, getCommand, putCommand, scanCommand, statsCommand, type CliOutput } from './store-commands.js';
import { version } from './version.js';

/** Default store directory when neither `--dir` nor `NORI_KV_DIR` is given. */
export const DEFAULT_DIR = './nori-kv-data';
/** Default demo directory when neither `--dir` nor `NORI_KV_DIR` is given. */
export const DEFAULT_DEMO_DIR = './nori-kv-demo';
/** Default demo size. */
export const DEFAULT_DEMO_RECORDS = 100_000;

/** Exit code for bad usage (unknown command or option, missing or malformed argument); runtime errors exit with 1. */
export const EXIT_USAGE = 2;

/** Process-facing dependencies of the CLI; tests can capture them. */
export interface CliEnvironment extends CliOutput {
  err: (text: string) => void;
  /** Path of the CLI script, for the demo's writer child. */
  scriptPath: string;
}

/** Builds the `nori-kv` commander program. */
export function createProgram(env: CliEnvironment): Command {
  const program = new Command('nori-kv')
    .description('A key-value store on the nori write-ahead log.')
    .version(version, '-V, --version')
    .addOption(new Option('-d, --dir <path>', 'store directory').env('NORI_KV_DIR').default(DEFAULT_DIR))
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => env.out(text.replace(/\n$/, '')),
      writeErr: (text) => env.err(text.replace(/\n$/, '')),
      outputError: (text, write) =>
        write(
          `nori-kv: ${text
            .replace(/^error: /, '')
            .replace(/\n(?=.)/g, ' ')
            .trimEnd()}\n`,
        ),
    });
  addStoreCommands(program, env);
  addDemoCommands(program, env);
  return program;
}

/** The store directory a command runs on (`--dir`, `NORI_KV_DIR` or the default). */
function dirOf(command: Command): string {
  return command.optsWithGlobals<{ dir: string }>().dir;
}

/** put, get, del, scan, stats, compact. */
function addStoreCommands(program: Command, env: CliEnvironment): void {
  program
    .command('put')
    .description('store VALUE under KEY (durable when the command returns)')
    .argument('<key>')
    .argument('<value>')
    .option('--ttl <ms>', 'expire the key after this many milliseconds')
    .action(async (key: string, value: string, options: { ttl?: string }, command: Command) => {
      const ttl = options.ttl === undefined ? undefined : parseTtl(options.ttl);
      await putCommand(dirOf(command), key, value, ttl, env);
    });

  program
    .command('get')
    .description('print the value of KEY')
    .argument('<key>')
    .action(async (key: string, _options: unknown, command: Command) => getCommand(dirOf(command), key, env));

  program
    .command('del')
    .alias('delete')
    .description('delete KEY')
    .argument('<key>')
    .action(async (key: string, _options: unknown, command: Command) => deleteCommand(dirOf(command), key, env));

  program
    .command('scan')
    .description('print "key<TAB>value" lines in key order')
    .option('--prefix <prefix>', 'only keys starting with PREFIX', '')
    .option('--limit <n>', 'print at most N entries')
    .action(async (options: { prefix: string; limit?: string }, command: Command) => {
      const limit = options.limit === undefined ? undefined : parseLimit(options.limit);
      await scanCommand(dirOf(command), options.prefix, limit, env);
    });

  program
    .command('stats')
    .description('show keys, sizes, WAL segments and the snapshot')
    .action(async (_options: unknown, command: Command) => statsCommand(dirOf(command), env));

  program
    .command('compact')
    .description('write a snapshot and delete the WAL segments it covers')
    .action(async (_options: unknown, command: Command) => compactCommand(dirOf(command), env));
}

/** demo, and the hidden demo-writer its child process runs. */
function addDemoCommands(program: Command, env: CliEnvironment): void {
  program
    .command('demo')
    .description(`write a workload in a child process, SIGKILL it, recover and check every acknowledged write (default --dir ${DEFAULT_DEMO_DIR})`)
    .option('--records <n>', 'WAL records to write', String(DEFAULT_DEMO_RECORDS))
    .option('--seed <n>', 'workload seed (default: random)')
    .option('--archive', 'remote-durable primary on S3 (NORI_S3_* env): lose the machine, promote a new primary, follow with a replica')
    .action(async (options: { records: string; seed?: string; archive?: boolean }) => {
      const dir = program.getOptionValueSource('dir') === 'default' ? DEFAULT_DEMO_DIR : program.opts<{ dir: string }>().dir;
      const seed = options.seed === undefined ? Math.floor(Math.random() * 0xffffffff) : parseSeed(options.seed);
      const demo = { dir, records: parseRecords(options.records), seed, cliPath: env.scriptPath, out: env.out };
      const code = options.archive === true ? await runArchiveDemo({ ...demo, s3: demoS3Config(), prefix: demoArchivePrefix() }) : await runDemo(demo);
      if (code !== 0) process.exitCode = code;
    });

  program
    .command('demo-writer', { hidden: true })
    .requiredOption('--records <n>')
    .requiredOption('--seed <n>')
    .requiredOption('--started-at <ms>')
    .requiredOption('--compact-at <n>')
    .option('--archive-prefix <prefix>')
    .action(async (options: { records: string; seed: string; startedAt: string; compactAt: string; archivePrefix?: string }, command: Command) => {
      await runDemoWriter({
        dir: dirOf(command),
        records: parseRecords(options.records),
        seed: parseSeed(options.seed),
        startedAt: Number(options.startedAt),
        compactAt: Number(options.compactAt),
        archivePrefix: options.archivePrefix,
      });
    });
}

/** One line for stderr describing `error`. */
export function formatError(error: unknown): string {
  if (error instanceof KvError) return `nori-kv: ${error.message} [${error.code}]`;
  const message = error instanceof Error ? error.message : String(error);
  return `nori-kv: unexpected error: ${message.split('\n')[0] ?? ''}`;
}

/** Runs the CLI with `argv` (as `process.argv`); resolves with the exit code. */
export async function runCli(argv: readonly string[], env: CliEnvironment): Promise<number> {
  const program = createProgram(env);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    env.err(formatError(error));
    if (error instanceof KvUsageError) return EXIT_USAGE;
    if (process.env.NORI_KV_DEBUG !== undefined && error instanceof Error && error.stack !== undefined) env.err(error.stack);
    return 1;
  }
}
