/**
 * Metric and attribute names of the archiver adapter, following the same OpenTelemetry naming
 * rules as the WAL metrics (see `names.ts`): units only in `unit`, byte amounts as `.size`,
 * attribute values from small fixed sets plus the archiver's name.
 */
import type { NoriWalMetricDescriptor } from './names.js';

/** Attribute keys of the archiver metrics. */
export const NORI_ARCHIVE_ATTRIBUTES = {
  /** User-supplied instance name (`archiverName` option); default `default`. */
  name: 'nori.archive.name',
  /** `data` (WAL bytes) or `generation-start` (the marker chunk opening a generation). */
  chunkKind: 'nori.archive.chunk.kind',
  /** Store operation: `put`, `get`, `head`, `list`, `delete`, or `none` when the error names none. */
  operation: 'nori.archive.store.operation',
  /** Why a generation started: `new-log`, `diverged`, `takeover` (anything else is `other`). */
  generationReason: 'nori.archive.generation.reason',
  /** Archiver state: `running`, `fenced`, `failed` or `closed` (anything else is `other`). */
  archiverState: 'nori.archive.archiver.state',
  /** OpenTelemetry's standard `error.type`: the `ArchiveError` code (e.g. `ERR_UNAVAILABLE`). */
  errorType: 'error.type',
  /** The remote-durable call: `append`, `appendBatch` or `waitArchived` (anything else is `other`). */
  remoteDurableOperation: 'nori.archive.remote_durable.operation',
  /** `ok` when the remote-durable call resolved, `error` when it rejected. */
  remoteDurableOutcome: 'nori.archive.remote_durable.outcome',
} as const;

/** Archiver metric names, keyed by a short identifier. */
export const NORI_ARCHIVE_METRIC_NAMES = {
  chunks: 'nori.archive.chunks',
  shipSize: 'nori.archive.ship.size',
  shipDuration: 'nori.archive.ship.duration',
  storeRetries: 'nori.archive.store.retries',
  failures: 'nori.archive.failures',
  fencings: 'nori.archive.fencings',
  generationStarts: 'nori.archive.generation.starts',
  generationResumes: 'nori.archive.generation.resumes',
  lagSize: 'nori.archive.lag.size',
  lagDuration: 'nori.archive.lag.duration',
  positionSegment: 'nori.archive.position.segment',
  positionOffset: 'nori.archive.position.offset',
  generationNumber: 'nori.archive.generation.number',
  archiverCount: 'nori.archive.archiver.count',
  remoteDurableDuration: 'nori.archive.remote_durable.duration',
} as const;

/** Span names of the archiver adapter (only emitted when spans are enabled). */
export const NORI_ARCHIVE_SPAN_NAMES = {
  /** One per chunk created in the store, from its first attempt to the acknowledged put. */
  ship: 'nori.archive.chunk.ship',
} as const;

/**
 * Bucket advice for `nori.archive.ship.duration` in seconds: 1 ms to 2 min (an object-store PUT
 * takes tens of milliseconds; retries with backoff push a chunk into the upper buckets).
 */
export const SHIP_DURATION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]);

const A = NORI_ARCHIVE_ATTRIBUTES;
const M = NORI_ARCHIVE_METRIC_NAMES;

/** Every metric the archiver adapter emits, with kind, unit, description and attribute keys. */
export const NORI_ARCHIVE_METRICS: readonly NoriWalMetricDescriptor[] = Object.freeze([
  { name: M.chunks, kind: 'counter', unit: '{chunk}', description: 'Chunks the archiver created in the object store.', attributes: [A.name, A.chunkKind] },
  {
    name: M.shipSize,
    kind: 'counter',
    unit: 'By',
    description: 'Payload bytes of the chunks the archiver created in the object store.',
    attributes: [A.name, A.chunkKind],
  },
  {
    name: M.shipDuration,
    kind: 'histogram',
    unit: 's',
    description: 'Time from the first attempt to the acknowledged put of a chunk, retries included.',
    attributes: [A.name, A.chunkKind],
  },
  {
    name: M.storeRetries,
    kind: 'counter',
    unit: '{retry}',
    description: 'Retryable object-store errors; the call was retried after a backoff.',
    attributes: [A.name, A.operation, A.errorType],
  },
  {
    name: M.failures,
    kind: 'counter',
    unit: '{failure}',
    description: 'Non-retryable errors that stopped the archiver (state failed).',
    attributes: [A.name, A.operation, A.errorType],
  },
  {
    name: M.fencings,
    kind: 'counter',
    unit: '{fencing}',
    description: 'Times another primary took the archive prefix and fenced this archiver.',
    attributes: [A.name],
  },
  {
    name: M.generationStarts,
    kind: 'counter',
    unit: '{generation}',
    description: 'Generations this archiver started, by reason.',
    attributes: [A.name, A.generationReason],
  },
  {
    name: M.generationResumes,
    kind: 'counter',
    unit: '{generation}',
    description: 'Times the archiver resumed its own generation after a restart.',
    attributes: [A.name],
  },
  { name: M.lagSize, kind: 'observable-up-down-counter', unit: 'By', description: 'Durable WAL bytes not archived yet.', attributes: [A.name] },
  {
    name: M.lagDuration,
    kind: 'observable-gauge',
    unit: 's',
    description: 'Roughly how long the oldest durable, unarchived bytes have waited (0 when caught up).',
    attributes: [A.name],
  },
  {
    name: M.positionSegment,
    kind: 'observable-gauge',
    unit: '{segment}',
    description: 'Segment id of the archived position (everything before it is in the store).',
    attributes: [A.name],
  },
  { name: M.positionOffset, kind: 'observable-gauge', unit: 'By', description: 'Offset in its segment of the archived position.', attributes: [A.name] },
  {
    name: M.archiverCount,
    kind: 'observable-up-down-counter',
    unit: '{archiver}',
    description: 'Attached archivers by state: 1 for the current state, 0 for the others.',
    attributes: [A.name, A.archiverState],
  },
  {
    name: M.generationNumber,
    kind: 'observable-gauge',
    unit: '{generation}',
    description: 'The archive generation this archiver writes.',
    attributes: [A.name],
  },
  {
    name: M.remoteDurableDuration,
    kind: 'histogram',
    unit: 's',
    description: 'How long a remote-durable append, appendBatch or waitArchived waited until its records were in the store (or it failed).',
    attributes: [A.name, A.remoteDurableOperation, A.remoteDurableOutcome],
  },
] as const satisfies readonly NoriWalMetricDescriptor[]);
