import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MemoryStorage } from '@nori/storage';
import { Wal } from '@nori/wal';
import { createOtelObserver, NORI_WAL_LEGACY_METRICS, NORI_WAL_METRICS, prometheusName, type OtelInstrumentation } from '../src/index.js';
import { recoveryReport } from './helpers.js';

interface Target { expr?: string; legendFormat?: string }
interface Panel { type: string; title: string; targets?: Target[]; fieldConfig?: { defaults?: { unit?: string } } }
interface Dashboard {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
}

const dashboard = JSON.parse(
  readFileSync(new URL('../dashboards/nori-wal.json', import.meta.url), 'utf8'),
) as Dashboard;

/** Every event once, scraped through the real Prometheus serializer: the names Prometheus sees. */
async function scrape(): Promise<{ metrics: Map<string, string>; labels: Set<string>; text: string }> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const otel = createOtelObserver({ meter: provider.getMeter('dashboard-test'), walName: 'dash', legacyMetricNames: false });
  const o = otel.observer;
  o.onRecovery!(recoveryReport());
  o.onAppend!({ records: 1, bytes: 10, batch: false });
  o.onAppend!({ records: 2, bytes: 20, batch: true });
  o.onFsync!({ durationMs: 0.3, bytes: 30, records: 3, appends: 2, ok: true });
  o.onSegmentRolled!({ segmentId: 2, previousSegmentId: 1, previousSize: 30 });
  o.onSegmentDeleted!({ segmentId: 1, bytes: 30 });
  o.onCorruption!({ segmentId: 2, offset: 0, reason: 'crc-mismatch', action: 'truncated' });
  o.onFailed!({ error: Object.assign(new Error('io'), { code: 'EIO' }) });
  const stats = { segments: 1, diskBytes: 30, queuedBytes: 0, appendedRecords: 3, appendedBytes: 30, fsyncs: 1,
    writtenPosition: { segmentId: 2, offset: 0 }, durablePosition: { segmentId: 2, offset: 0 }, firstIndex: 1, lastIndex: 3, sparseIndexBytes: 48 };
  using _attachment = otel.attach({ stats: () => stats });
  const { resourceMetrics, errors } = await exporter.collect();
  expect(errors).toEqual([]);
  const text = new PrometheusSerializer().serialize(resourceMetrics);
  await provider.shutdown();

  const metrics = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) metrics.set(name!, type!);
  const labels = new Set<string>();
  for (const [, body] of text.matchAll(/^nori_wal_\w+\{([^}]*)\}/gm)) {
    for (const [, label] of body!.matchAll(/(\w+)="/g)) labels.add(label!);
  }
  return { metrics, labels, text };
}

/** Series names a query may use for each exposed metric (histograms expose three). */
function seriesNames(metrics: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of metrics) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

/** Label lists of `by (...)`, `on (...)` and `ignoring (...)` clauses. */
const LABEL_LIST = /\b(?:by|on|ignoring) \(([^)]*)\)/g;

/** Metric names in a PromQL expression (label names inside `{...}` and label lists excluded). */
function metricNamesIn(expr: string): string[] {
  const stripped = expr.replace(/\{[^}]*\}/g, ' ').replace(LABEL_LIST, ' ');
  return [...stripped.matchAll(/\bnori_wal_\w+/g)].map((m) => m[0]);
}

interface Sample { name: string; labels: Record<string, string> }

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const [, name, body] of text.matchAll(/^(\w+)(?:\{(.*)\})? \S+$/gm)) {
    const labels: Record<string, string> = {};
    for (const [, key, value] of (body ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: name!, labels });
  }
  return samples;
}

/** Splits `expr` at `or` operators outside parentheses: the alternatives PromQL unions. */
function alternatives(expr: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    else if (ch === ')' || ch === '}' || ch === ']') depth--;
    else if (depth === 0 && expr.startsWith(' or ', i)) {
      parts.push(expr.slice(start, i));
      start = i + 4;
    }
  }
  parts.push(expr.slice(start));
  return parts;
}

/**
 * Whether a dashboard query returns a series for `wal` given the scraped samples: some `or`
 * alternative has every selector (`name{matchers}`) matching a sample of that WAL. An
 * approximation of PromQL (no time dimension), exact for the shapes the dashboard uses:
 * aggregations, rate/increase, histogram_quantile and binary operators on `by (nori_wal_name)`.
 */
function resolves(expr: string, samples: readonly Sample[], wal: string): boolean {
  return alternatives(expr.replaceAll('$wal', wal)).some((alternative) =>
    [...alternative.matchAll(/\b(nori_wal_\w+)(?:\{([^}]*)\})?/g)]
      .filter((m) => !isLabelListEntry(alternative, m.index))
      .every(([, name, selector]) =>
        samples.some((s) => s.name === name && s.labels['nori_wal_name'] === wal && matchesSelector(s, selector ?? '')),
      ),
  );
}

function isLabelListEntry(expr: string, index: number): boolean {
  return [...expr.matchAll(LABEL_LIST)].some((m) => index > m.index && index < m.index + m[0].length);
}

function matchesSelector(sample: Sample, selector: string): boolean {
  return [...selector.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].every(([, label, op, value]) => {
    const actual = sample.labels[label!] ?? '';
    const regex = new RegExp(`^(?:${value})$`);
    if (op === '=') return actual === value;
    if (op === '!=') return actual !== value;
    return op === '=~' ? regex.test(actual) : !regex.test(actual);
  });
}

/** A ratio (mean, quantile) has no value before its first event: "No data" is the honest answer. */
function isRatio(expr: string): boolean {
  return expr.includes('histogram_quantile') || expr.includes(' / ');
}

/** Scrape of a real WAL (MemoryStorage) through the Prometheus serializer, at stages of its life. */
async function realWalScrapes(): Promise<{ opened: Sample[]; written: Sample[] }> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const otel: OtelInstrumentation = createOtelObserver({ meter: provider.getMeter('dashboard-test'), walName: 'fresh', legacyMetricNames: false });
  const { wal } = await Wal.open({ storage: new MemoryStorage(), observer: otel.observer });
  using _attachment = otel.attach(wal);
  const serialize = async (): Promise<Sample[]> => {
    const { resourceMetrics, errors } = await exporter.collect();
    expect(errors).toEqual([]);
    return parseSamples(new PrometheusSerializer().serialize(resourceMetrics));
  };
  const opened = await serialize();
  await wal.append({ key: 'k', value: 'v' });
  await wal.appendBatch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
  await wal.sync();
  const written = await serialize();
  await wal.close();
  await provider.shutdown();
  return { opened, written };
}

const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));

describe('Grafana dashboard (dashboards/nori-wal.json)', () => {
  it('has panels with queries', () => {
    expect(dashboard.uid).toBe('nori-wal');
    const dataPanels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(dataPanels.length).toBeGreaterThanOrEqual(10);
    for (const panel of dataPanels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets!) expect(target.expr, panel.title).toMatch(/\S/);
    }
  });

  it('queries only metric names the Prometheus exporter actually exposes', async () => {
    const { metrics } = await scrape();
    const allowed = seriesNames(metrics);
    for (const { panel, expr } of queries) {
      const used = metricNamesIn(expr);
      expect(used.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of used) expect(allowed.has(name), `${panel} uses unknown series ${name}`).toBe(true);
    }
    const variable = dashboard.templating.list.find((v) => v.name === 'wal');
    const variableMetric = /label_values\((\w+), (\w+)\)/.exec(variable?.definition ?? '');
    expect(allowed.has(variableMetric?.[1] ?? '')).toBe(true);
    expect(variableMetric?.[2]).toBe('nori_wal_name');
  });

  it('groups and filters only by labels the metrics carry', async () => {
    const { labels } = await scrape();
    labels.add('le');
    for (const { panel, expr } of queries) {
      for (const [, list] of expr.matchAll(LABEL_LIST)) {
        for (const label of list!.split(',').map((l) => l.trim())) {
          expect(labels.has(label), `${panel} groups by unknown label ${label}`).toBe(true);
        }
      }
      for (const [, selector] of expr.matchAll(/\{([^}]*)\}/g)) {
        for (const [, label] of selector!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) {
          expect(labels.has(label!), `${panel} filters on unknown label ${label}`).toBe(true);
        }
      }
    }
  });

  it('shows every metric the package exports, under the name prometheusName() documents', async () => {
    const { metrics } = await scrape();
    const exposed = [...metrics.keys()].filter((n) => n.startsWith('nori_wal_')).sort();
    expect(exposed).toEqual(NORI_WAL_METRICS.map((d) => prometheusName(d)).sort());
    expect(metrics.get('nori_wal_append_records_total')).toBe('counter');
    expect(metrics.get('nori_wal_fsync_duration')).toBe('histogram');
    // Prometheus has no UpDownCounter: non-monotonic sums are gauges.
    expect(metrics.get('nori_wal_segment_file_size')).toBe('gauge');
    expect(metrics.get('nori_wal_queue_size')).toBe('gauge');
    const used = new Set(queries.flatMap((q) => metricNamesIn(q.expr)));
    for (const name of exposed) {
      const series = metrics.get(name) === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => name + suffix) : [name];
      expect(series.some((s) => used.has(s)), `dashboard never shows ${name}`).toBe(true);
    }
  });

  it('uses none of the deprecated metric names', () => {
    const legacy = new Set(NORI_WAL_LEGACY_METRICS.map((d) => prometheusName(d)));
    const variable = dashboard.templating.list.find((v) => v.name === 'wal')?.definition ?? '';
    for (const { panel, expr } of [...queries, { panel: 'variable wal', expr: variable }]) {
      for (const name of metricNamesIn(expr)) {
        expect(legacy.has(name.replace(/_(bucket|sum|count)$/, '')), `${panel} uses deprecated ${name}`).toBe(false);
      }
    }
  });

  it('shows appends per second in reqps', () => {
    const panel = dashboard.panels.find((p) => p.title === 'Appended records / s');
    expect(panel?.fieldConfig?.defaults?.unit).toBe('reqps');
  });

  it('lists a WAL in the wal variable as soon as it is opened, before its first append', async () => {
    const { opened } = await realWalScrapes();
    const variable = dashboard.templating.list.find((v) => v.name === 'wal');
    const [, metric, label] = /label_values\((\w+), (\w+)\)/.exec(variable?.definition ?? '') ?? [];
    expect(opened.some((s) => s.name === metric && s.labels[label!] === 'fresh')).toBe(true);
  });

  it('resolves every query of a freshly opened WAL (no append, failure or corruption yet), split by WAL', async () => {
    const { opened, written } = await realWalScrapes();
    // The scenario really is fresh: the event counters have no series yet.
    expect(opened.some((s) => s.name === 'nori_wal_failures_total')).toBe(false);
    expect(written.some((s) => s.name === 'nori_wal_corruptions_total')).toBe(false);
    expect(written.some((s) => s.name === 'nori_wal_segment_rotations_total')).toBe(false);
    for (const { panel, expr } of queries) {
      if (!isRatio(expr)) expect(resolves(expr, opened, 'fresh'), `${panel} (opened): ${expr}`).toBe(true);
      expect(resolves(expr, written, 'fresh'), `${panel} (after the first appends): ${expr}`).toBe(true);
      // Other WALs' series never stand in for this one.
      expect(resolves(expr, written, 'other'), `${panel}: ${expr}`).toBe(false);
    }
  });

  it('falls back to a zero per WAL, never to one unlabelled vector(0) series', () => {
    for (const { panel, expr } of queries) {
      const parts = alternatives(expr);
      for (const fallback of parts.slice(1)) {
        expect(fallback, panel).toMatch(/^on \(nori_wal_name\) /);
        expect(fallback, panel).toMatch(/\bby \(nori_wal_name\)/);
        expect(fallback, panel).not.toContain('vector(');
      }
    }
  });
});
