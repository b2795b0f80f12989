import { describe, expect, it } from 'vitest';
import { parseCommandLine, type CommandSpec, type Invocation } from '../src/args.js';
import { NoriCliError } from '../src/errors.js';
import { formatCommandHelp, formatProgramHelp } from '../src/help.js';

const noop = (): Promise<void> => Promise.resolve();

const COMMANDS: CommandSpec[] = [
  {
    name: 'copy',
    summary: 'copy a log',
    description: 'Copy a log somewhere else.',
    arguments: [
      { name: 'from', help: 'source' },
      { name: 'to', help: 'destination' },
    ],
    options: [
      { name: 'limit', value: '<n>', help: 'stop after n records', parse: (text) => Number.parseInt(text, 10) },
      { name: 'mode', value: '<mode>', help: 'how', choices: ['fast', 'safe'], default: 'safe' },
      { name: 'yes', short: 'y', help: 'do not ask' },
      { name: 'no-progress', help: 'no bar' },
      { name: 'at', value: '<pos>', help: 'start here', conflicts: ['limit'] },
      {
        name: 'size',
        value: '<size>',
        help: 'a size',
        parse: (text) => {
          if (!/^\d+$/.test(text)) throw new Error(`invalid --size "${text}"`);
          return Number(text);
        },
      },
    ],
    helpAfter: ['\nExample:\n  tool copy a b'],
    run: noop,
  },
  { name: 'verify', summary: 'check', description: 'Check a log.', arguments: [{ name: 'dir', help: 'WAL directory' }], options: [], helpAfter: [], run: noop },
];

function run(argv: string[]): Extract<Invocation, { kind: 'run' }> {
  const invocation = parseCommandLine(COMMANDS, argv);
  if (invocation.kind !== 'run') throw new Error(`expected a run, got ${invocation.kind}`);
  return invocation;
}

function usageError(argv: string[]): string {
  try {
    parseCommandLine(COMMANDS, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(NoriCliError);
    expect((error as NoriCliError).code).toBe('ERR_USAGE');
    expect((error as NoriCliError).exitCode).toBe(2);
    return (error as NoriCliError).message;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

describe('parseCommandLine', () => {
  it('takes arguments and options in any order, with defaults, parsers, short and negated flags', () => {
    const parsed = run(['copy', '--limit', '5', 'a', '-y', '--no-progress', 'b']);
    expect(parsed.command.name).toBe('copy');
    expect(parsed.args).toEqual(['a', 'b']);
    expect(parsed.options).toEqual({ limit: 5, mode: 'safe', yes: true, progress: false });
    expect(run(['copy', 'a', 'b', '--mode=fast', '--size', '12']).options).toEqual({ mode: 'fast', progress: true, size: 12 });
    expect(run(['copy', '--', 'a', '--b']).args).toEqual(['a', '--b']);
  });

  it('help, version and bare invocations', () => {
    expect(parseCommandLine(COMMANDS, [])).toEqual({ kind: 'help', toStderr: true });
    expect(parseCommandLine(COMMANDS, ['--help'])).toEqual({ kind: 'help', toStderr: false });
    expect(parseCommandLine(COMMANDS, ['-V'])).toEqual({ kind: 'version' });
    expect(parseCommandLine(COMMANDS, ['help', 'verify'])).toMatchObject({ kind: 'help', command: { name: 'verify' } });
    expect(parseCommandLine(COMMANDS, ['copy', 'a', '-h'])).toMatchObject({ kind: 'help', command: { name: 'copy' } });
  });

  it.each([
    [['frobnicate'], "unknown command 'frobnicate' (see --help)"],
    [['verfy', 'x'], "unknown command 'verfy' (Did you mean verify?) (see --help)"],
    [['--bogus'], "unknown option '--bogus' (see --help)"],
    [['verify'], "missing required argument 'dir' (see --help)"],
    [['verify', 'a', 'b'], "too many arguments for 'verify'. Expected 1 argument but got 2. (see --help)"],
    [['copy', 'a', 'b', '--limt', '1'], "unknown option '--limt' (Did you mean --limit?) (see --help)"],
    [['copy', 'a', 'b', '-x'], "unknown option '-x' (see --help)"],
    [['copy', 'a', 'b', '--limit'], "option '--limit <n>' argument missing (see --help)"],
    [['copy', 'a', 'b', '--yes=no'], "option '-y, --yes' takes no argument (see --help)"],
    [['copy', 'a', 'b', '--mode', 'slow'], "option '--mode <mode>' argument 'slow' is invalid. Allowed choices are fast, safe. (see --help)"],
    [['copy', 'a', 'b', '--size', 'big'], "option '--size <size>' argument 'big' is invalid. invalid --size \"big\" (see --help)"],
    [['copy', 'a', 'b', '--limit', '1', '--at', '3'], "option '--at <pos>' cannot be used with option '--limit <n>' (see --help)"],
  ])('%j: %s', (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });
});

describe('help', () => {
  it('a command: usage, wrapped description, arguments, options with choices and defaults, then the paragraphs after', () => {
    expect(formatCommandHelp('tool', COMMANDS[0]!)).toBe(
      [
        'Usage: tool copy [options] <from> <to>',
        '',
        'Copy a log somewhere else.',
        '',
        'Arguments:',
        '  from           source',
        '  to             destination',
        '',
        'Options:',
        '  --limit <n>    stop after n records',
        '  --mode <mode>  how (choices: "fast", "safe", default: "safe")',
        '  -y, --yes      do not ask',
        '  --no-progress  no bar',
        '  --at <pos>     start here',
        '  --size <size>  a size',
        '  -h, --help     display help for command',
        '',
        'Example:',
        '  tool copy a b',
        '',
      ].join('\n'),
    );
  });

  it('the program: every command with its summary, wrapped beside the terms', () => {
    const long = 'a description long enough that it has to wrap onto a second line of the help text';
    const text = formatProgramHelp({ name: 'tool', description: 'Tools.', after: '\nExit codes:\n  0  ok' }, [{ ...COMMANDS[1]!, summary: long }]);
    expect(text).toBe(
      [
        'Usage: tool [options] [command]',
        '',
        'Tools.',
        '',
        'Options:',
        '  -V, --version   output the version number',
        '  -h, --help      display help for command',
        '',
        'Commands:',
        '  verify <dir>    a description long enough that it has to wrap onto a second',
        '                  line of the help text',
        '  help [command]  display help for command',
        '',
        'Exit codes:',
        '  0  ok',
        '',
      ].join('\n'),
    );
  });
});
