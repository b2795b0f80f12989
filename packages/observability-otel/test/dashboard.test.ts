import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MemoryStorage } from '@nori/storage';
import { Wal } from '@nori/wal';
import { Archiver, MemoryObjectStore, openReplica } from '@nori/archive';
import {
  createArchiverOtelObserver,
  createOtelObserver,
  createReplicaOtelObserver,
  NORI_ARCHIVE_METRICS,
  NORI_REPLICA_METRICS,
  NORI_WAL_LEGACY_METRICS,
  NORI_WAL_METRICS,
  prometheusName,
  type OtelInstrumentation,
} from '../src/index.js';
import { recoveryReport } from './helpers.js';

interface Target {
  expr?: string;
  legendFormat?: string;
}
interface Panel {
  type: string;
  title: string;
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string } };
}
interface Dashboard {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
}

const dashboard = JSON.parse(readFileSync(new URL('../dashboards/nori-wal.json', import.meta.url), 'utf8')) as Dashboard;

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
  const stats = {
    segments: 1,
    diskBytes: 30,
    queuedBytes: 0,
    appendedRecords: 3,
    appendedBytes: 30,
    fsyncs: 1,
    writtenPosition: { segmentId: 2, offset: 0 },
    durablePosition: { segmentId: 2, offset: 0 },
    firstIndex: 1,
    lastIndex: 3,
    sparseIndexBytes: 48,
  };
  using _attachment = otel.attach({ stats: () => stats });
  const archiver = createArchiverOtelObserver({ meter: provider.getMeter('dashboard-test'), archiverName: 'dash' });
  const a = archiver.observer;
  a.onGenerationStarted!({ generation: 1, startSeq: 0, parentGeneration: null, reason: 'new-log' });
  a.onGenerationResumed!({ generation: 1, nextSeq: 1 });
  a.onChunkShipped!({ key: 'k', seq: 1, generation: 1, kind: 'data', segmentId: 1, offset: 0, bytes: 30, attempts: 2, durationMs: 20 });
  const unavailable = Object.assign(new Error('503'), { code: 'ERR_UNAVAILABLE', op: 'put' });
  a.onRetry!({ op: 'put', key: 'k', attempt: 1, delayMs: 1, error: unavailable });
  a.onError!({ error: unavailable });
  a.onFenced!({ error: Object.assign(new Error('fenced'), { code: 'ERR_FENCED' }), key: 'k' });
  a.onRemoteDurable!({ op: 'append', records: 1, durationMs: 12, ok: true });
  const archiverStats = { generation: 1, nextSeq: 2, chunks: 1, bytes: 30, archivedPosition: { segmentId: 1, offset: 30 } };
  using _archiver = archiver.attach({ state: 'running', stats: () => archiverStats, lag: () => Promise.resolve({ bytes: 0, seconds: 0 }) });
  const replica = createReplicaOtelObserver({ meter: provider.getMeter('dashboard-test'), replicaName: 'dash' });
  const r = replica.observer;
  r.onChunkApplied!({ key: 'k', seq: 1, generation: 1, kind: 'data', segmentId: 1, offset: 0, bytes: 30, records: 3, createdAt: 0 });
  r.onGenerationChanged!({ generation: 2, seq: 2, parentGeneration: 1, reason: 'takeover', verified: true });
  r.onPoll!({ chunks: 1, newestSeq: 1 });
  r.onRetry!({ op: 'list', key: undefined, attempt: 1, delayMs: 1, error: unavailable });
  const replicaLag = { seconds: 0, chunks: 0, bytes: 0, appliedSeq: 1, newestSeq: 1, polledAt: 0 };
  using _replica = replica.attach({ lag: () => Promise.resolve(replicaLag) });
  const { resourceMetrics, errors } = await exporter.collect();
  expect(errors).toEqual([]);
  const text = new PrometheusSerializer().serialize(resourceMetrics);
  await provider.shutdown();

  const metrics = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) metrics.set(name!, type!);
  const labels = new Set<string>();
  for (const [, body] of text.matchAll(/^nori_(?:wal|archive|replica)_\w+\{([^}]*)\}/gm)) {
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

/** The metric families of the dashboard: each panel filters on its instance variable and label. */
interface Family {
  readonly metricPrefix: string;
  readonly label: string;
  readonly variable: string;
}
const WAL_FAMILY: Family = { metricPrefix: 'nori_wal_', label: 'nori_wal_name', variable: '$wal' };
const ARCHIVE_FAMILY: Family = { metricPrefix: 'nori_archive_', label: 'nori_archive_name', variable: '$archive' };
const REPLICA_FAMILY: Family = { metricPrefix: 'nori_replica_', label: 'nori_replica_name', variable: '$replica' };

/** The family a query belongs to (archive queries use only `nori_archive_*` series, replica ones `nori_replica_*`). */
function familyOf(expr: string): Family {
  if (expr.includes(REPLICA_FAMILY.metricPrefix)) return REPLICA_FAMILY;
  return expr.includes(ARCHIVE_FAMILY.metricPrefix) ? ARCHIVE_FAMILY : WAL_FAMILY;
}

/** Metric names in a PromQL expression (label names inside `{...}` and label lists excluded). */
function metricNamesIn(expr: string): string[] {
  const stripped = expr.replace(/\{[^}]*\}/g, ' ').replace(LABEL_LIST, ' ');
  return [...stripped.matchAll(/\bnori_(?:wal|archive|replica)_\w+/g)].map((m) => m[0]);
}

interface Sample {
  name: string;
  labels: Record<string, string>;
}

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
 * Whether a dashboard query returns a series for instance `name` (a WAL, or an archiver for the
 * archive panels) given the scraped samples: some `or` alternative has every selector
 * (`metric{matchers}`) matching a sample of that instance. An approximation of PromQL (no time
 * dimension), exact for the shapes the dashboard uses: aggregations, rate/increase,
 * histogram_quantile, comparisons and binary operators on `by (<instance label>)`.
 */
function resolves(expr: string, samples: readonly Sample[], name: string): boolean {
  const family = familyOf(expr);
  const series = new RegExp(`\\b(${family.metricPrefix}\\w+)(?:\\{([^}]*)\\})?`, 'g');
  return alternatives(expr.replaceAll(family.variable, name)).some((alternative) =>
    [...alternative.matchAll(series)]
      .filter((m) => !isLabelListEntry(alternative, m.index))
      .every(([, metric, selector]) => samples.some((s) => s.name === metric && s.labels[family.label] === name && matchesSelector(s, selector ?? ''))),
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
  await wal.appendBatch([
    { key: 'a', value: '1' },
    { key: 'b', value: '2' },
  ]);
  await wal.sync();
  const written = await serialize();
  await wal.close();
  await provider.shutdown();
  return { opened, written };
}

/** Scrapes of a real archiver (WAL + Archiver on a MemoryObjectStore): just started, then after shipping. */
async function realArchiverScrapes(): Promise<{ opened: Sample[]; written: Sample[] }> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const otel = createArchiverOtelObserver({ meter: provider.getMeter('dashboard-test'), archiverName: 'fresh' });
  const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'always' });
  const archiver = await Archiver.start(wal, { store: new MemoryObjectStore(), prefix: 'p', intervalMs: 60_000, observer: otel.observer });
  using _attachment = otel.attach(archiver);
  const serialize = async (): Promise<Sample[]> => {
    const { resourceMetrics, errors } = await exporter.collect();
    expect(errors).toEqual([]);
    return parseSamples(new PrometheusSerializer().serialize(resourceMetrics));
  };
  const opened = await serialize();
  await archiver.append({ key: 'k', value: 'v' });
  await archiver.flush();
  const written = await serialize();
  await archiver.close();
  await wal.close();
  await provider.shutdown();
  return { opened, written };
}

/**
 * Scrapes of a real replica following a real archiver (WAL + Archiver + Replica on a
 * MemoryObjectStore): just attached (nothing followed), then after applying the first chunks.
 */
async function realReplicaScrapes(): Promise<{ opened: Sample[]; written: Sample[] }> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const otel = createReplicaOtelObserver({ meter: provider.getMeter('dashboard-test'), replicaName: 'fresh' });
  const { wal } = await Wal.open({ storage: new MemoryStorage(), fsync: 'always' });
  const store = new MemoryObjectStore();
  const archiver = await Archiver.start(wal, { store, prefix: 'p', intervalMs: 60_000 });
  await wal.append({ key: 'a', value: '1' });
  await archiver.flush();
  await wal.append({ key: 'b', value: '2' });
  await archiver.flush();
  await using replica = openReplica({ store, prefix: 'p', pollIntervalMs: 1, observer: otel.observer });
  using _attachment = otel.attach(replica);
  const serialize = async (): Promise<Sample[]> => {
    const { resourceMetrics, errors } = await exporter.collect();
    expect(errors).toEqual([]);
    return parseSamples(new PrometheusSerializer().serialize(resourceMetrics));
  };
  const opened = await serialize();
  let written: Sample[] = [];
  // The second record: the chunk of the first was applied (and counted) when it was asked for.
  let seen = 0;
  for await (const _entry of replica.follow()) {
    if (++seen < 2) continue;
    written = await serialize();
    break;
  }
  await archiver.close();
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
    for (const [name, label] of [
      ['wal', 'nori_wal_name'],
      ['archive', 'nori_archive_name'],
      ['replica', 'nori_replica_name'],
    ]) {
      const variable = dashboard.templating.list.find((v) => v.name === name);
      const variableMetric = /label_values\((\w+), (\w+)\)/.exec(variable?.definition ?? '');
      expect(allowed.has(variableMetric?.[1] ?? ''), name).toBe(true);
      expect(variableMetric?.[2]).toBe(label);
    }
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
    const exposed = [...metrics.keys()].filter((n) => n.startsWith('nori_')).sort();
    expect(exposed).toEqual([...NORI_WAL_METRICS, ...NORI_ARCHIVE_METRICS, ...NORI_REPLICA_METRICS].map((d) => prometheusName(d)).sort());
    expect(metrics.get('nori_archive_ship_size_total')).toBe('counter');
    expect(metrics.get('nori_archive_lag_size')).toBe('gauge');
    expect(metrics.get('nori_wal_append_records_total')).toBe('counter');
    expect(metrics.get('nori_wal_fsync_duration')).toBe('histogram');
    // Prometheus has no UpDownCounter: non-monotonic sums are gauges.
    expect(metrics.get('nori_wal_segment_file_size')).toBe('gauge');
    expect(metrics.get('nori_wal_queue_size')).toBe('gauge');
    const used = new Set(queries.flatMap((q) => metricNamesIn(q.expr)));
    for (const name of exposed) {
      const series = metrics.get(name) === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => name + suffix) : [name];
      expect(
        series.some((s) => used.has(s)),
        `dashboard never shows ${name}`,
      ).toBe(true);
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

  it('has the archive panels: lag in bytes and seconds, bytes shipped, store errors, fencing', () => {
    const units = Object.fromEntries(dashboard.panels.map((p) => [p.title, p.fieldConfig?.defaults?.unit]));
    expect(units).toMatchObject({
      'Shipping lag (bytes)': 'bytes',
      'Shipping lag (seconds)': 's',
      'Bytes shipped / s': 'Bps',
      'Store errors': 'short',
      'Fencing events': 'none',
    });
    const exprs = (title: string) =>
      dashboard.panels
        .find((p) => p.title === title)
        ?.targets?.map((t) => t.expr ?? '')
        .join('\n') ?? '';
    expect(exprs('Shipping lag (bytes)')).toContain('nori_archive_lag_size');
    expect(exprs('Shipping lag (seconds)')).toContain('nori_archive_lag_duration');
    expect(exprs('Bytes shipped / s')).toContain('nori_archive_ship_size_total');
    expect(exprs('Store errors')).toMatch(/nori_archive_store_retries_total[\s\S]*nori_archive_failures_total/);
    expect(exprs('Fencing events')).toContain('nori_archive_fencings_total');
    expect(exprs('Remote-durable wait')).toContain('nori_archive_remote_durable_duration_bucket');
  });

  it('has the replica panels in the Archive row: lag in seconds, chunks and bytes, apply rate, polls and retries', () => {
    const archiveRow = dashboard.panels.findIndex((p) => p.type === 'row' && p.title.startsWith('Archive'));
    const after = dashboard.panels.slice(archiveRow + 1);
    const rowEnd = after.findIndex((p) => p.type === 'row');
    const row = rowEnd < 0 ? after : after.slice(0, rowEnd);
    const units = Object.fromEntries(row.map((p) => [p.title, p.fieldConfig?.defaults?.unit]));
    expect(units).toMatchObject({
      'Replica lag (seconds)': 's',
      'Replica lag (chunks)': 'short',
      'Replica lag (bytes)': 'bytes',
      'Replica applied / s': 'short',
    });
    const exprs = (title: string) =>
      row
        .find((p) => p.title === title)
        ?.targets?.map((t) => t.expr ?? '')
        .join('\n') ?? '';
    expect(exprs('Replica lag (seconds)')).toContain('nori_replica_lag_duration');
    expect(exprs('Replica lag (chunks)')).toContain('nori_replica_lag_chunk_count');
    expect(exprs('Replica lag (bytes)')).toContain('nori_replica_lag_size');
    expect(exprs('Replica applied / s')).toMatch(/nori_replica_records_total[\s\S]*nori_replica_chunks_total[\s\S]*nori_replica_apply_size_total/);
    expect(exprs('Replica polls, retries and generation changes')).toMatch(
      /nori_replica_polls_total[\s\S]*nori_replica_store_retries_total[\s\S]*nori_replica_generation_changes_total/,
    );
  });

  it('lists a WAL in the wal variable as soon as it is opened, an archiver and a replica as soon as they are attached', async () => {
    const scrapes = { wal: (await realWalScrapes()).opened, archive: (await realArchiverScrapes()).opened, replica: (await realReplicaScrapes()).opened };
    for (const [name, opened] of Object.entries(scrapes)) {
      const variable = dashboard.templating.list.find((v) => v.name === name);
      const [, metric, label] = /label_values\((\w+), (\w+)\)/.exec(variable?.definition ?? '') ?? [];
      expect(
        opened.some((s) => s.name === metric && s.labels[label!] === 'fresh'),
        name,
      ).toBe(true);
    }
  });

  it('resolves every query of a freshly opened WAL (no append, failure or corruption yet), split by WAL', async () => {
    const { opened: walOpened, written: walWritten } = await realWalScrapes();
    const archive = await realArchiverScrapes();
    const replica = await realReplicaScrapes();
    // The scenario really is fresh: the event counters have no series yet.
    expect(walOpened.some((s) => s.name === 'nori_wal_failures_total')).toBe(false);
    expect(walWritten.some((s) => s.name === 'nori_wal_corruptions_total')).toBe(false);
    expect(walWritten.some((s) => s.name === 'nori_wal_segment_rotations_total')).toBe(false);
    expect(archive.opened.some((s) => s.name === 'nori_archive_ship_size_total' && s.labels['nori_archive_chunk_kind'] === 'data')).toBe(false);
    expect(archive.written.some((s) => s.name === 'nori_archive_fencings_total' || s.name === 'nori_archive_store_retries_total')).toBe(false);
    expect(replica.opened.some((s) => s.name === 'nori_replica_records_total')).toBe(false);
    expect(replica.written.some((s) => s.name === 'nori_replica_records_total')).toBe(true);
    expect(replica.written.some((s) => s.name === 'nori_replica_store_retries_total')).toBe(false);
    for (const { panel, expr } of queries) {
      const family = familyOf(expr);
      const { opened, written } = family === ARCHIVE_FAMILY ? archive : family === REPLICA_FAMILY ? replica : { opened: walOpened, written: walWritten };
      if (!isRatio(expr)) expect(resolves(expr, opened, 'fresh'), `${panel} (opened): ${expr}`).toBe(true);
      expect(resolves(expr, written, 'fresh'), `${panel} (after the first appends): ${expr}`).toBe(true);
      // Where its series exist, the query's own selectors match them (not only the zero fallback).
      const primary = alternatives(expr)[0]!;
      if (metricNamesIn(primary).every((n) => written.some((s) => s.name === n))) {
        expect(resolves(primary, written, 'fresh'), `${panel} (without fallback): ${primary}`).toBe(true);
      }
      // Other WALs' series never stand in for this one.
      expect(resolves(expr, written, 'other'), `${panel}: ${expr}`).toBe(false);
    }
  });

  it('falls back to a zero per WAL (per archiver), never to one unlabelled vector(0) series', () => {
    for (const { panel, expr } of queries) {
      const parts = alternatives(expr);
      const { label } = familyOf(expr);
      for (const fallback of parts.slice(1)) {
        expect(fallback.startsWith(`on (${label}) `), panel).toBe(true);
        expect(fallback.includes(`by (${label})`), panel).toBe(true);
        expect(fallback, panel).not.toContain('vector(');
      }
    }
  });
});
