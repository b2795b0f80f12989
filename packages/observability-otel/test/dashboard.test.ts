import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { createOtelObserver, NORI_WAL_METRICS, prometheusName } from '../src/index.js';
import { recoveryReport } from './helpers.js';

interface Target { expr?: string; legendFormat?: string }
interface Panel { type: string; title: string; targets?: Target[] }
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
  const otel = createOtelObserver({ meter: provider.getMeter('dashboard-test'), walName: 'dash' });
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
    writtenPosition: { segmentId: 2, offset: 0 }, durablePosition: { segmentId: 2, offset: 0 } };
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

/** Metric names in a PromQL expression (label names inside `{...}` and `by (...)` excluded). */
function metricNamesIn(expr: string): string[] {
  const stripped = expr.replace(/\{[^}]*\}/g, ' ').replace(/\bby \([^)]*\)/g, ' ');
  return [...stripped.matchAll(/\bnori_wal_\w+/g)].map((m) => m[0]);
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
      for (const [, list] of expr.matchAll(/\bby \(([^)]*)\)/g)) {
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
    expect(metrics.get('nori_wal_disk_usage')).toBe('gauge');
    const used = new Set(queries.flatMap((q) => metricNamesIn(q.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    for (const name of exposed) expect(used.has(name), `dashboard never shows ${name}`).toBe(true);
  });
});
