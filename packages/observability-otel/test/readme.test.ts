import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  LEGACY_METRIC_NAMES_REMOVED_IN,
  NORI_ARCHIVE_METRICS,
  NORI_REPLICA_METRICS,
  NORI_WAL_LEGACY_METRICS,
  NORI_WAL_METRICS,
  prometheusName,
  type NoriWalInstrumentKind,
} from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** README prose with line breaks folded, so a claim split over two lines still matches. */
const prose = readme.replace(/\s+/g, ' ');

describe('README', () => {
  it('describes how the WAL treats a throwing observer as packages/wal does (isolates it and warns once)', () => {
    expect(prose).not.toMatch(/WAL does not (catch|isolate)/i);
    expect(prose).toMatch(/The WAL isolates its observer/);
    expect(prose).toContain('NoriWalObserverWarning');
  });
});

const INSTRUMENT_LABELS: Record<NoriWalInstrumentKind, string> = {
  counter: 'Counter',
  histogram: 'Histogram',
  'observable-up-down-counter': 'ObservableUpDownCounter',
  'observable-gauge': 'ObservableGauge',
};

/** Rows of the first Markdown table after `heading`, as cells with backticks removed. */
function table(heading: string): string[][] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no heading ${heading}`);
  const lines = readme.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim().replace(/`/g, '')),
    );
  }
  return rows;
}

describe('README tables match the exported metric lists', () => {
  it('Metrics: every metric of NORI_WAL_METRICS with its instrument and unit, nothing else', () => {
    const rows = table('## Metrics').map(([name, instrument, unit]) => [name, instrument, unit]);
    expect(rows).toEqual(NORI_WAL_METRICS.map((d) => [d.name, INSTRUMENT_LABELS[d.kind], d.unit]));
  });

  it('Archiver metrics: every metric of NORI_ARCHIVE_METRICS with its instrument and unit, nothing else', () => {
    const rows = table('### Archiver metrics').map(([name, instrument, unit]) => [name, instrument, unit]);
    expect(rows).toEqual(NORI_ARCHIVE_METRICS.map((d) => [d.name, INSTRUMENT_LABELS[d.kind], d.unit]));
  });

  it('Replica metrics: every metric of NORI_REPLICA_METRICS with its instrument and unit, nothing else', () => {
    const rows = table('### Replica metrics').map(([name, instrument, unit]) => [name, instrument, unit]);
    expect(rows).toEqual(NORI_REPLICA_METRICS.map((d) => [d.name, INSTRUMENT_LABELS[d.kind], d.unit]));
  });

  it('Deprecated names: every legacy metric, its replacement and both Prometheus names', () => {
    const rows = table('### Deprecated names').map((cells) => cells.map((c) => c.replace(/ \(.*\)$/, '')));
    const expected = NORI_WAL_LEGACY_METRICS.map((d) => {
      const replacement = NORI_WAL_METRICS.find((m) => m.name === d.replacedBy)!;
      return [d.name, prometheusName(d), d.replacedBy, prometheusName(replacement)];
    });
    expect(rows).toEqual(expected);
    expect(prose).toContain(`**${LEGACY_METRIC_NAMES_REMOVED_IN} removes them**`);
  });
});
