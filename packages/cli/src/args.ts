import { parseArgs } from 'node:util';
import { NoriCliError } from './errors.js';

// The command line of nori-wal, parsed with node:util's parseArgs: commander cost every run
// ~17 ms of CPU (a CommonJS package of ~3,000 lines) for what this file does.

/** One option of a command: a flag (`--json`) or an option with a value (`--limit <n>`). */
export interface OptionSpec {
  /** The long name without dashes: `limit`; a `no-` prefix makes a flag that turns `name` off. */
  readonly name: string;
  /** One-letter alias without its dash: `y` for `-y`. */
  readonly short?: string;
  /** The value's placeholder (`<n>`); absent for a flag. */
  readonly value?: string;
  readonly help: string;
  /** The only accepted values. */
  readonly choices?: readonly string[];
  /** The value when the option is not given (shown in the help). */
  readonly default?: string;
  /** Turns the text into the option's value; throws (with a message for the operator) when invalid. */
  readonly parse?: (text: string) => unknown;
  /** Long names of options this one cannot be combined with. */
  readonly conflicts?: readonly string[];
}

/** A positional argument; every one is required. */
export interface ArgumentSpec {
  readonly name: string;
  readonly help: string;
}

/** Option values by camelCase name (`maxRecordSize`; `--no-progress` sets `progress: false`). */
export type OptionValues = Record<string, unknown>;

/** One subcommand of the program. */
export interface CommandSpec {
  readonly name: string;
  /** One line, shown in the program's command list. */
  readonly summary: string;
  readonly description: string;
  readonly arguments: readonly ArgumentSpec[];
  readonly options: readonly OptionSpec[];
  /** Paragraphs printed after the options in the command's help (examples, settings). */
  readonly helpAfter: readonly string[];
  run(args: readonly string[], options: OptionValues): Promise<void>;
}

/** What the command line asks for. */
export type Invocation =
  | { readonly kind: 'help'; readonly command?: CommandSpec; readonly toStderr: boolean }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly command: CommandSpec; readonly args: readonly string[]; readonly options: OptionValues };

const HELP_FLAGS: ReadonlySet<string> = new Set(['-h', '--help']);
const VERSION_FLAGS: ReadonlySet<string> = new Set(['-V', '--version']);

/** A usage error: one line for the operator, exit 2. */
function usage(message: string): NoriCliError {
  return new NoriCliError('ERR_USAGE', `${message} (see --help)`);
}

/** The `--name <value>` text errors and the help show for an option. */
export function optionTerm(option: OptionSpec): string {
  const long = `--${option.name}${option.value === undefined ? '' : ` ${option.value}`}`;
  return option.short === undefined ? long : `-${option.short}, ${long}`;
}

/**
 * Reads `argv` (the arguments after the program name) against `commands`.
 * @throws NoriCliError `ERR_USAGE` for an unknown command or option, a missing or extra argument,
 *   or an option value its `parse` or `choices` rejects.
 */
export function parseCommandLine(commands: readonly CommandSpec[], argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'help', toStderr: true };
  if (HELP_FLAGS.has(first)) return { kind: 'help', toStderr: false };
  if (VERSION_FLAGS.has(first)) return { kind: 'version' };
  if (first === 'help') {
    if (rest[0] === undefined) return { kind: 'help', toStderr: false };
    return { kind: 'help', command: findCommand(commands, rest[0]), toStderr: false };
  }
  if (first.startsWith('-')) throw usage(`unknown option '${first}'`);
  const command = findCommand(commands, first);
  if (rest.some((arg) => HELP_FLAGS.has(arg))) return { kind: 'help', command, toStderr: false };
  const { args, options } = parseCommandArgs(command, rest);
  return { kind: 'run', command, args, options };
}

function findCommand(commands: readonly CommandSpec[], name: string): CommandSpec {
  const command = commands.find((c) => c.name === name);
  if (command !== undefined) return command;
  throw usage(
    `unknown command '${name}'${suggestion(
      name,
      commands.map((c) => c.name),
    )}`,
  );
}

function parseCommandArgs(command: CommandSpec, argv: readonly string[]): { args: string[]; options: OptionValues } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const option of command.options) {
    config[option.name] = { type: option.value === undefined ? 'boolean' : 'string', ...(option.short === undefined ? {} : { short: option.short }) };
  }
  // Not strict: the checks below name the option as the help shows it, and suggest a near name.
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const args: string[] = [];
  const options = defaults(command);
  const given = new Map<string, OptionSpec>();
  for (const token of tokens) {
    if (token.kind === 'positional') args.push(token.value);
    if (token.kind !== 'option') continue;
    const option = command.options.find((o) => o.name === token.name);
    if (option === undefined) {
      const names = command.options.map((o) => `--${o.name}`);
      throw usage(`unknown option '${token.rawName}'${suggestion(token.rawName, names)}`);
    }
    given.set(option.name, option);
    if (option.value === undefined) {
      if (token.value !== undefined) throw usage(`option '${optionTerm(option)}' takes no argument`);
      setFlag(options, option);
    } else {
      if (token.value === undefined) throw usage(`option '${optionTerm(option)}' argument missing`);
      options[camelCase(option.name)] = optionValue(option, token.value);
    }
  }
  checkConflicts(given);
  checkArgumentCount(command, args);
  return { args, options };
}

function defaults(command: CommandSpec): OptionValues {
  const options: OptionValues = {};
  for (const option of command.options) {
    if (option.name.startsWith('no-')) options[camelCase(option.name.slice(3))] = true;
    else if (option.default !== undefined) options[camelCase(option.name)] = option.default;
  }
  return options;
}

function setFlag(options: OptionValues, option: OptionSpec): void {
  if (option.name.startsWith('no-')) options[camelCase(option.name.slice(3))] = false;
  else options[camelCase(option.name)] = true;
}

function optionValue(option: OptionSpec, text: string): unknown {
  const invalid = (detail: string): NoriCliError => usage(`option '${optionTerm(option)}' argument '${text}' is invalid. ${detail}`);
  if (option.choices !== undefined && !option.choices.includes(text)) throw invalid(`Allowed choices are ${option.choices.join(', ')}.`);
  if (option.parse === undefined) return text;
  try {
    return option.parse(text);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
}

function checkConflicts(given: ReadonlyMap<string, OptionSpec>): void {
  for (const option of given.values()) {
    for (const other of option.conflicts ?? []) {
      const conflicting = given.get(other);
      if (conflicting !== undefined) throw usage(`option '${optionTerm(option)}' cannot be used with option '${optionTerm(conflicting)}'`);
    }
  }
}

function checkArgumentCount(command: CommandSpec, args: readonly string[]): void {
  const expected = command.arguments.length;
  const missing = command.arguments[args.length];
  if (missing !== undefined) throw usage(`missing required argument '${missing.name}'`);
  if (args.length > expected) {
    throw usage(`too many arguments for '${command.name}'. Expected ${expected} argument${expected === 1 ? '' : 's'} but got ${args.length}.`);
  }
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** ` (Did you mean --json?)` when one of `candidates` is a likely typo of `word`, else ''. */
function suggestion(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    // As commander did: at most 2 edits, and most of the word kept.
    if (distance <= 2 && distance < bestDistance && (candidate.length - distance) / candidate.length > 0.4) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : ` (Did you mean ${best}?)`;
}

/** Levenshtein distance (a typo is a few edits; the words are short). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
