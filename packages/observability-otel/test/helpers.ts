import type { Attributes, Meter, Tracer } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { RecoveryReport } from '@nori/wal';

/** A reader collected by hand: the test decides when a collection happens. */
export class ManualReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Collected metrics, indexed by name (all scopes). */
export class Collected {
  readonly byName = new Map<string, MetricData>();
  constructor(readonly raw: ResourceMetrics) {
    for (const scope of raw.scopeMetrics) {
      for (const metric of scope.metrics) this.byName.set(metric.descriptor.name, metric);
    }
  }

  metric(name: string): MetricData {
    const m = this.byName.get(name);
    if (m === undefined) throw new Error(`metric ${name} not collected; have ${[...this.byName.keys()].join(', ')}`);
    return m;
  }

  /** Sum/gauge data points as `{ attributes, value }`, sorted for stable comparisons. */
  points(name: string): { attributes: Attributes; value: number }[] {
    const m = this.metric(name);
    if (m.dataPointType !== DataPointType.SUM && m.dataPointType !== DataPointType.GAUGE) {
      throw new Error(`${name} is not a sum or gauge`);
    }
    return sortPoints(m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })));
  }

  /** Histogram data points. */
  histograms(name: string): DataPoint<Histogram>[] {
    const m = this.metric(name);
    if (m.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`${name} is not a histogram`);
    return m.dataPoints;
  }

  /** The histogram point whose attributes equal `attributes`. */
  histogram(name: string, attributes: Attributes): Histogram {
    const found = this.histograms(name).filter((p) => sameAttributes(p.attributes, attributes));
    if (found.length !== 1) throw new Error(`${name}: ${found.length} points match ${JSON.stringify(attributes)}`);
    return found[0]!.value;
  }
}

function sortPoints<T extends { attributes: Attributes }>(points: T[]): T[] {
  return points.sort((a, b) => compare(stableKey(a.attributes), stableKey(b.attributes)));
}

function stableKey(attributes: Attributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => compare(a, b)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sameAttributes(a: Attributes, b: Attributes): boolean {
  return stableKey(a) === stableKey(b);
}

/** A real SDK MeterProvider with a manual reader. */
export function setupMetrics(): {
  provider: MeterProvider;
  meter: Meter;
  collect: () => Promise<Collected>;
  shutdown: () => Promise<void>;
} {
  const reader = new ManualReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    meter: provider.getMeter('test'),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
      return new Collected(resourceMetrics);
    },
    shutdown: () => provider.shutdown(),
  };
}

/** A real SDK tracer provider writing to an in-memory exporter. */
export function setupTracing(): { provider: BasicTracerProvider; tracer: Tracer; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { provider, tracer: provider.getTracer('test'), exporter };
}

/** A recovery report as the WAL hands it to `onRecovery`. */
export function recoveryReport(overrides: Partial<RecoveryReport> = {}): RecoveryReport {
  return {
    mode: 'tolerate-tail',
    records: 1234,
    segments: 3,
    bytesScanned: 98_765,
    bytesTruncated: 17,
    tail: 'torn',
    corruptions: [],
    quarantined: [],
    skipped: [],
    batchesRolledBack: 0,
    lastPosition: { segmentId: 3, offset: 4096 },
    durationMs: 42,
    readOnly: false,
    ...overrides,
  };
}

/** Convert an OTel HrTime to milliseconds. */
export function hrToMs([seconds, nanos]: [number, number]): number {
  return seconds * 1000 + nanos / 1e6;
}

/** Sum of the points of `name` whose attributes include `attributes`. */
export function sum(c: Collected, name: string, attributes: Record<string, unknown> = {}): number {
  return c
    .points(name)
    .filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .reduce((total, p) => total + p.value, 0);
}

/** Count and sum over the histogram points of `name` whose attributes include `attributes`. */
export function histogramTotals(c: Collected, name: string, attributes: Record<string, unknown> = {}): { count: number; sum: number } {
  let count = 0;
  let total = 0;
  for (const p of c.histograms(name)) {
    if (!Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)) continue;
    count += p.value.count;
    total += p.value.sum ?? 0;
  }
  return { count, sum: total };
}
