import { optionTerm, type CommandSpec, type OptionSpec } from './args.js';

// `nori-wal --help` and `nori-wal <command> --help`, laid out as commander laid them out (the
// help nori-wal printed before it parsed with node:util), wrapped to 80 columns.

/** What the program's help shows besides its commands. */
export interface ProgramHelp {
  readonly name: string;
  readonly description: string;
  /** Printed after the command list (the exit codes). */
  readonly after: string;
}

const WIDTH = 80;
const INDENT = 2;
const HELP_TERM = '-h, --help';
const HELP_TEXT = 'display help for command';

/** The top-level help: usage, description, options, commands, then `program.after`. */
export function formatProgramHelp(program: ProgramHelp, commands: readonly CommandSpec[]): string {
  const rows: [string, string][] = [
    ['-V, --version', 'output the version number'],
    [HELP_TERM, HELP_TEXT],
  ];
  const commandRows: [string, string][] = commands.map((c) => [commandTerm(c), c.summary]);
  commandRows.push(['help [command]', HELP_TEXT]);
  const termWidth = Math.max(...[...rows, ...commandRows].map(([term]) => term.length));
  return [
    `Usage: ${program.name} [options] [command]\n`,
    `${wrap(program.description, WIDTH)}\n`,
    `Options:\n${table(rows, termWidth)}`,
    `Commands:\n${table(commandRows, termWidth)}${program.after}\n`,
  ].join('\n');
}

/** One command's help: usage, description, arguments, options, then its `helpAfter` paragraphs. */
export function formatCommandHelp(programName: string, command: CommandSpec): string {
  const argumentRows: [string, string][] = command.arguments.map((a) => [a.name, a.help]);
  const optionRows: [string, string][] = command.options.map((o) => [optionTerm(o), optionHelp(o)]);
  optionRows.push([HELP_TERM, HELP_TEXT]);
  const termWidth = Math.max(...[...argumentRows, ...optionRows].map(([term]) => term.length));
  const sections = [`Usage: ${programName} ${commandTerm(command)}\n`, `${wrap(command.description, WIDTH)}\n`];
  if (argumentRows.length > 0) sections.push(`Arguments:\n${table(argumentRows, termWidth)}`);
  sections.push(`Options:\n${table(optionRows, termWidth)}${command.helpAfter.map((text) => `${text}\n`).join('')}`);
  return sections.join('\n');
}

function commandTerm(command: CommandSpec): string {
  return [command.name, ...(command.options.length > 0 ? ['[options]'] : []), ...command.arguments.map((a) => `<${a.name}>`)].join(' ');
}

function optionHelp(option: OptionSpec): string {
  const extras: string[] = [];
  if (option.choices !== undefined) extras.push(`choices: ${option.choices.map((c) => JSON.stringify(c)).join(', ')}`);
  if (option.default !== undefined) extras.push(`default: ${JSON.stringify(option.default)}`);
  return extras.length === 0 ? option.help : `${option.help} (${extras.join(', ')})`;
}

/** Two columns: terms padded to `termWidth`, descriptions wrapped beside them. */
function table(rows: readonly [string, string][], termWidth: number): string {
  const column = INDENT + termWidth + 2;
  return rows
    .map(([term, text]) => {
      const lines = wrap(text, WIDTH - column).split('\n');
      const first = `${' '.repeat(INDENT)}${term.padEnd(termWidth)}  ${lines[0] ?? ''}`;
      return [first, ...lines.slice(1).map((line) => `${' '.repeat(column)}${line}`)].join('\n') + '\n';
    })
    .join('');
}

/** Greedy word wrap to `width` columns. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\n');
}
