/**
 * A nori WAL workload exposed to Prometheus.
 *
 * Run it (from packages/observability-otel): `pnpm example:prometheus`, then open
 * http://127.0.0.1:9464/metrics (set `PORT=0` for a free port, `HOST` for another interface,
 * `OTEL_SERVICE_NAME` for another `service.name` than `nori-wal-example`).
 * It writes a first session, reopens the log (so recovery metrics appear), ships it to an
 * in-memory object store with an `Archiver` (archive metrics), keeps appending a few records a
 * second and serves the metrics until Ctrl-C.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Archiver, MemoryObjectStore, type ObjectStore } from '@nori/archive';
import { MemoryStorage, type Storage } from '@nori/storage';
import { Wal, type Position, type WalConfig } from '@nori/wal';
import { createArchiverOtelObserver, createOtelObserver } from '@nori/observability-otel';

/** Options of {@link startPrometheusExample}. */
export interface PrometheusExampleOptions {
  /** Port for the `/metrics` endpoint; `0` picks a free one. Default 9464 (Prometheus' registered port). */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** `nori.wal.name` of the instance. Default `example`. */
  walName?: string;
  /** `service.name` of the exported resource (`target_info` in Prometheus). Default `nori-wal-example`. */
  serviceName?: string;
  /** Records written by each of the two sessions of the initial workload. Default 2000. */
  records?: number;
  /** Where the WAL lives. Default a fresh `MemoryStorage`. */
  storage?: Storage;
  /** Where the archiver ships the WAL. Default a fresh `MemoryObjectStore`. */
  store?: ObjectStore;
}

/** A running example: the WAL (still open) and the endpoint serving its metrics. */
export interface PrometheusExample extends AsyncDisposable {
  /** Full URL of the metrics endpoint, e.g. `http://127.0.0.1:40123/metrics`. */
  readonly url: string;
  /** The open WAL (second session). */
  readonly wal: Wal;
  /** The archiver shipping it (`nori.archive.name` = the WAL's name). */
  readonly archiver: Archiver;
  /** Append `count` more records (a mix of single appends and a batch). */
  write(count: number): Promise<void>;
  /** Stop serving, detach the gauges, close the archiver and the WAL, shut the meter provider down. */
  close(): Promise<void>;
}

/** OpenTelemetry's resource attribute for the logical service name (semantic conventions). */
const ATTR_SERVICE_NAME = 'service.name';
const DEFAULT_SERVICE_NAME = 'nori-wal-example';

/**
 * The SDK's default resource (SDK name, language, version) named after the service: without a
 * `service.name` every exporter reports `unknown_service:<process>`, which no dashboard can select.
 */
function exampleResource(serviceName: string): Resource {
  return defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }));
}

const WAL_OPTIONS = {
  maxSegmentSize: 64 * 1024,
  fsync: { kind: 'batch', windowMs: 2 },
} as const satisfies Partial<WalConfig>;

let sequence = 0;
function record(): { key: string; value: string } {
  sequence++;
  return { key: `order-${sequence}`, value: `{"id":${sequence},"item":"tea","qty":${sequence % 7}}`.padEnd(200, ' ') };
}

/** Half single appends in flight together (so fsyncs group them), half one `appendBatch`. */
async function workload(wal: Wal, count: number): Promise<Position | undefined> {
  const singles = Math.ceil(count / 2);
  const appends: Promise<{ position: Position }>[] = [];
  for (let i = 0; i < singles; i++) appends.push(wal.append(record()));
  await Promise.all(appends);
  const batchSize = count - singles;
  if (batchSize > 0) await wal.appendBatch(Array.from({ length: batchSize }, record));
  await wal.sync();
  return (await appends[0])?.position;
}

/**
 * Run a two-session WAL workload instrumented with `@nori/observability-otel` and serve the
 * metrics in Prometheus text format.
 *
 * @param options - see {@link PrometheusExampleOptions}
 * @returns the running example; call `close()` (or `await using`) to stop it
 */
export async function startPrometheusExample(options: PrometheusExampleOptions = {}): Promise<PrometheusExample> {
  const { port = 9464, host = '127.0.0.1', walName = 'example', records = 2000, serviceName = DEFAULT_SERVICE_NAME } = options;
  const storage = options.storage ?? new MemoryStorage();
  const store = options.store ?? new MemoryObjectStore();

  // The exporter is a MetricReader; we serve its handler from our own server so that port 0 works.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter], resource: exampleResource(serviceName) });
  // A new setup has no dashboards on the deprecated 0.1 names, so it does not emit them.
  const meter = meterProvider.getMeter('nori-prometheus-example');
  const otel = createOtelObserver({ meter, walName, legacyMetricNames: false });
  const archiverOtel = createArchiverOtelObserver({ meter, archiverName: walName });

  // Session 1 writes and closes; session 2 recovers it (recovery metrics) and stays open.
  const first = await Wal.open({ storage, observer: otel.observer, ...WAL_OPTIONS });
  await workload(first.wal, records);
  await first.wal.close();
  const { wal } = await Wal.open({ storage, observer: otel.observer, ...WAL_OPTIONS });
  const gauges = otel.attach(wal);
  // Ship the log to the object store every second; the archive metrics follow its observer.
  const archiver = await Archiver.start(wal, { store, prefix: walName, observer: archiverOtel.observer });
  const archiverGauges = archiverOtel.attach(archiver);
  const firstOfSession = await workload(wal, records);
  await archiver.flush();
  // Remote-durable wait for a record (nori.archive.remote_durable.duration): resolves once it is in the store.
  if (firstOfSession !== undefined) await archiver.waitArchived(firstOfSession);
  // Garbage-collect the segments a consumer has caught up with: here, all but the active one.
  const active = (await wal.segments()).find((s) => s.active);
  if (active !== undefined) await wal.deleteSegmentsBefore({ segmentId: active.id, offset: 0 });

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname === '/metrics') {
      exporter.getMetricsRequestHandler(request, response);
      return;
    }
    response.statusCode = 404;
    response.end('not found: try /metrics\n');
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/metrics`;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      gauges.detach();
      archiverGauges.detach();
      await archiver.close({ flush: true });
      await wal.close();
      await meterProvider.shutdown();
    })());

  return { url, wal, archiver, write: async (count) => void (await workload(wal, count)), close, [Symbol.asyncDispose]: close };
}

async function main(): Promise<void> {
  const port = process.env['PORT'] === undefined ? 9464 : Number(process.env['PORT']);
  const host = process.env['HOST'] ?? '127.0.0.1';
  const serviceName = process.env['OTEL_SERVICE_NAME'];
  const example = await startPrometheusExample({ port, host, ...(serviceName ? { serviceName } : {}) });
  console.log(`nori WAL metrics at ${example.url} (Ctrl-C to stop)`);
  let writing = Promise.resolve();
  const timer = setInterval(() => {
    writing = writing.then(() => example.write(20));
  }, 1000);
  const stop = (): void => {
    clearInterval(timer);
    void writing.then(() => example.close()).then(() => console.log('stopped'));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
