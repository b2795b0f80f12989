#!/usr/bin/env node
// Renders BENCHMARKS.md from every `.bench-results/*.json` that the packages' `bench` scripts wrote
// (format: docs/ARCHITECTURE.md, "Benchmarks"). Run by `pnpm bench` after `turbo run bench`.
// Usage: node scripts/bench-report.mjs [--results <dir>] [--out <file>]
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import console from 'node:console';
import os from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** @param {string[]} argv */
function parseArgs(argv) {
  const options = { results: join(root, '.bench-results'), out: join(root, 'BENCHMARKS.md') };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--results' || flag === '--out') && value !== undefined) {
      options[flag.slice(2)] = resolve(value);
      i++;
    } else {
      throw new Error(`unknown argument ${flag}; usage: bench-report.mjs [--results <dir>] [--out <file>]`);
    }
  }
  return options;
}

/** Formats a number with 3-4 significant digits and thousands separators. */
function formatNumber(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

/** Bytes-per-second units the goal checker can convert between. */
const RATE_UNITS = { 'B/s': 1, 'KB/s': 1e3, 'MB/s': 1e6, 'GB/s': 1e9, 'KiB/s': 1024, 'MiB/s': 1024 ** 2, 'GiB/s': 1024 ** 3 };
const SCALE = { k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

/** Converts `value` from unit `from` to unit `to`, or returns undefined when they are incompatible. */
function convert(value, from, to) {
  if (!to || from === to) return value;
  if (from in RATE_UNITS && to in RATE_UNITS) return (value * RATE_UNITS[from]) / RATE_UNITS[to];
  return undefined;
}

const COMPARE = {
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
  '<=': (a, b) => a <= b,
  '<': (a, b) => a < b,
};

/**
 * PASS/MISS for a result: its own `pass` flag when present, else the goal text parsed as
 * `<op> <number>[k|M|G] [unit]` (checked against `value`) or `ratio <op> <number>[x]`.
 * Returns '' without a goal and '?' for a goal this script cannot read.
 */
function status(result) {
  if (typeof result.pass === 'boolean') return result.pass ? 'PASS' : 'MISS';
  if (typeof result.goal !== 'string' || result.goal.trim() === '') return '';
  const ratioGoal = /^ratio\s*(>=|<=|>|<)\s*([\d.]+)\s*x?$/i.exec(result.goal.trim());
  if (ratioGoal) {
    return COMPARE[ratioGoal[1]](result.ratio, Number(ratioGoal[2])) ? 'PASS' : 'MISS';
  }
  const valueGoal = /^(>=|<=|>|<)\s*([\d.]+)\s*([kKMG](?![a-zA-Z]))?\s*(.*)$/.exec(result.goal.trim());
  if (!valueGoal) return '?';
  const threshold = Number(valueGoal[2]) * (valueGoal[3] ? SCALE[valueGoal[3]] : 1);
  const goalUnit = valueGoal[4].trim();
  const value = convert(result.value, result.unit, goalUnit === '' ? result.unit : goalUnit);
  if (value === undefined || typeof value !== 'number' || Number.isNaN(value)) return '?';
  return COMPARE[valueGoal[1]](value, threshold) ? 'PASS' : 'MISS';
}

/** Escapes a table cell. */
function cell(text) {
  return String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
}

/** One table row for a result; tolerant of missing fields. */
function row(result) {
  const unit = result.unit ?? '';
  const ours = `${formatNumber(result.value)} ${unit}`.trim();
  const base =
    result.baseline && typeof result.baseline === 'object' ? `${formatNumber(result.baseline.value)} ${unit} (${result.baseline.name ?? 'baseline'})` : '';
  const ratio = typeof result.ratio === 'number' ? `${formatNumber(result.ratio)}x` : '';
  const runs = Array.isArray(result.runs) ? result.runs.length : '';
  const state = status(result);
  return `| ${cell(result.name)} | ${cell(ours)} | ${cell(base)} | ${cell(ratio)} | ${cell(result.goal ?? '')} | ${state === '' ? '' : `**${state}**`} | ${runs} |`;
}

function filesystemOf(path) {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '-T', path], { encoding: 'utf8' }).trim().replace(/\s+/g, ' ');
  } catch {
    return 'unknown';
  }
}

/** Reads every results file; unreadable ones become an `error` entry instead of aborting. */
function loadResults(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const path = join(dir, name);
      const measuredAt = statSync(path).mtime;
      try {
        const data = JSON.parse(readFileSync(path, 'utf8'));
        if (!data || typeof data !== 'object' || !Array.isArray(data.results)) {
          return { name, measuredAt, error: 'no "results" array' };
        }
        return { name, measuredAt, data };
      } catch (error) {
        return { name, measuredAt, error: `cannot parse: ${error.message}` };
      }
    });
}

function machineSection(files) {
  const cpus = os.cpus();
  const environments = files.map((f) => f.data?.environment).filter(Boolean);
  const benchFs = environments.find((e) => e.filesystem)?.filesystem ?? filesystemOf(os.tmpdir());
  const tmp = environments.find((e) => e.tempDir)?.tempDir ?? os.tmpdir();
  return [
    '| | |',
    '| --- | --- |',
    `| CPU | ${cell(cpus[0]?.model ?? 'unknown')} |`,
    `| cores | ${os.availableParallelism?.() ?? cpus.length} |`,
    `| memory | ${Math.round(os.totalmem() / 1024 ** 3)} GiB |`,
    `| OS | ${cell(`${os.type()} ${os.release()} ${os.arch()}`)} |`,
    `| Node.js | ${process.version} |`,
    `| date | ${new Date().toISOString()} |`,
    `| filesystem | ${cell(`${benchFs} (benchmark logs in ${tmp})`)} |`,
  ];
}

function packageSection(file) {
  const title = file.data?.package ?? basename(file.name, '.json');
  const lines = [`## ${title}`, ''];
  lines.push(`Source: \`.bench-results/${file.name}\`, measured ${file.measuredAt.toISOString()}.`, '');
  if (file.error) {
    lines.push(`Could not read the results: ${file.error}.`, '');
    return { lines, pass: 0, miss: 0 };
  }
  const results = file.data.results.filter((r) => r && typeof r === 'object');
  lines.push('| workload | ours | baseline (same run) | ratio | goal | status | runs |');
  lines.push('| --- | ---: | ---: | ---: | --- | --- | ---: |');
  let pass = 0;
  let miss = 0;
  for (const result of results) {
    lines.push(row(result));
    const s = status(result);
    if (s === 'PASS') pass++;
    if (s === 'MISS') miss++;
  }
  if (results.length === 0) lines.push('| (no results) | | | | | | |');
  lines.push('');
  const errors = Array.isArray(file.data.errors) ? file.data.errors : [];
  for (const error of errors) lines.push(`- Failed: ${cell(error.group ?? '')} ${cell(error.message ?? error)}`);
  if (errors.length > 0) lines.push('');
  return { lines, pass, miss };
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const files = loadResults(options.results);
  if (files.length === 0) {
    console.error(`bench-report: no results in ${relative(root, options.results) || options.results}; run \`pnpm bench\` first`);
    process.exitCode = 1;
    return;
  }
  const sections = files.map(packageSection);
  const pass = sections.reduce((n, s) => n + s.pass, 0);
  const miss = sections.reduce((n, s) => n + s.miss, 0);
  const out = [
    '# nori benchmarks',
    '',
    '<!-- Generated by scripts/bench-report.mjs from .bench-results/*.json; do not edit by hand. Regenerate with `pnpm bench`. -->',
    '',
    'Every figure is the median of the runs shown, measured beside a baseline in the **same run**',
    "(raw `fs` writes, `fdatasync`, 1 MiB `fs.readSync` reads, the codec's `crc32c`). The machine is",
    'shared with other engineers running tests, so absolute numbers wander from run to run;',
    'medians and same-run baselines absorb most of that, and the **ratio** (ours / baseline) is the',
    'figure to compare across machines. For `ms` and `MiB` rows lower is better. How each workload',
    'is measured: [docs/BENCHMARKS-METHOD.md](docs/BENCHMARKS-METHOD.md).',
    '',
    `Goals met: **${pass} of ${pass + miss}**.`,
    '',
    '## Machine',
    '',
    ...machineSection(files),
    '',
    ...sections.flatMap((s) => s.lines),
  ];
  writeFileSync(options.out, `${out.join('\n').trimEnd()}\n`);
  console.log(`bench-report: wrote ${relative(root, options.out)} (${files.length} result file(s), ${pass} PASS, ${miss} MISS)`);
}

main();
