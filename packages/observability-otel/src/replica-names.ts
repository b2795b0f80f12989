/**
 * Metric and attribute names of the replica adapter, following the same OpenTelemetry naming
 * rules as the WAL and archiver metrics: units only in `unit`, byte amounts as `.size`, a number
 * of things that goes up and down as `<entity>.count`, attribute values from small fixed sets.
 */
import type { NoriWalMetricDescriptor } from './names.js';

/** Attribute keys of the replica metrics. */
export const NORI_REPLICA_ATTRIBUTES = {
  /** User-supplied instance name (`replicaName` option); default `default`. */
  name: 'nori.replica.name',
  /** `data` or `generation-start` (the marker chunk opening a generation). */
  chunkKind: 'nori.replica.chunk.kind',
  /** Why the generation the replica moved to started: `new-log`, `diverged`, `takeover` (else `other`). */
  generationReason: 'nori.replica.generation.reason',
  /** `true` when the new generation was checked against the bytes already read, `false` when nothing was there to compare. */
  generationVerified: 'nori.replica.generation.verified',
  /** `new-chunks` when a poll found chunks, `caught-up` when it found none. */
  pollResult: 'nori.replica.poll.result',
  /** Store operation of a retried error: `get`, `head`, `list`, `follow` (a chunk fetch while following), else `other`. */
  operation: 'nori.replica.store.operation',
  /** OpenTelemetry's standard `error.type`: the `ArchiveError` code (e.g. `ERR_UNAVAILABLE`). */
  errorType: 'error.type',
} as const;

/** Replica metric names, keyed by a short identifier. */
export const NORI_REPLICA_METRIC_NAMES = {
  chunks: 'nori.replica.chunks',
  records: 'nori.replica.records',
  applySize: 'nori.replica.apply.size',
  generationChanges: 'nori.replica.generation.changes',
  polls: 'nori.replica.polls',
  storeRetries: 'nori.replica.store.retries',
  lagDuration: 'nori.replica.lag.duration',
  lagChunkCount: 'nori.replica.lag.chunk.count',
  lagSize: 'nori.replica.lag.size',
} as const;

const A = NORI_REPLICA_ATTRIBUTES;
const M = NORI_REPLICA_METRIC_NAMES;

/** Every metric the replica adapter emits, with kind, unit, description and attribute keys. */
export const NORI_REPLICA_METRICS: readonly NoriWalMetricDescriptor[] = Object.freeze([
  { name: M.chunks, kind: 'counter', unit: '{chunk}', description: 'Chunks the replica read, verified and applied.', attributes: [A.name, A.chunkKind] },
  { name: M.records, kind: 'counter', unit: '{record}', description: 'Records the replica yielded from applied chunks.', attributes: [A.name] },
  { name: M.applySize, kind: 'counter', unit: 'By', description: 'Payload bytes of the chunks the replica applied.', attributes: [A.name, A.chunkKind] },
  {
    name: M.generationChanges,
    kind: 'counter',
    unit: '{generation}',
    description: 'Times the replica moved on to a newer generation, by reason and verification.',
    attributes: [A.name, A.generationReason, A.generationVerified],
  },
  {
    name: M.polls,
    kind: 'counter',
    unit: '{poll}',
    description: 'Listings of the store while following, by whether they found new chunks.',
    attributes: [A.name, A.pollResult],
  },
  {
    name: M.storeRetries,
    kind: 'counter',
    unit: '{retry}',
    description: 'Retryable object-store errors; the replica backed off and retried.',
    attributes: [A.name, A.operation, A.errorType],
  },
  {
    name: M.lagDuration,
    kind: 'observable-gauge',
    unit: 's',
    description: 'Shipping time between the newest listed chunk and the last applied one (0 when caught up).',
    attributes: [A.name],
  },
  {
    name: M.lagChunkCount,
    kind: 'observable-up-down-counter',
    unit: '{chunk}',
    description: 'Chunks listed in the store but not applied yet.',
    attributes: [A.name],
  },
  {
    name: M.lagSize,
    kind: 'observable-up-down-counter',
    unit: 'By',
    description: 'Payload bytes of the chunks listed but not applied yet.',
    attributes: [A.name],
  },
] as const satisfies readonly NoriWalMetricDescriptor[]);
