import type { KvOpenOptions } from '../types.js';

/**
 * Store settings the demo writes with: group commit (`batch` policy, 2 ms window) and every write
 * acknowledged only once fsynced, small segments so compaction visibly deletes some.
 */
export const DEMO_STORE_OPTIONS = {
  fsync: { kind: 'batch', windowMs: 2 },
  durable: true,
  maxSegmentSize: 1024 * 1024,
} as const satisfies Partial<KvOpenOptions>;

/** Human description of {@link DEMO_STORE_OPTIONS} for the demo banner. */
export const DEMO_POLICY_LABEL = 'fsync batch/2 ms, acks after fsync';

/**
 * Operations the writer keeps in flight: pipelining is what lets group commit share fsyncs. Small
 * workloads get a shallower pipeline so the kill still lands mid-workload.
 */
export function demoPipelineDepth(operations: number): number {
  return Math.max(32, Math.min(4096, Math.floor(operations / 16)));
}

/** How often the writer reports its acknowledged watermark to the parent. */
export const DEMO_REPORT_INTERVAL_MS = 5;

/** File that marks a directory as the demo's own, so it may be wiped on the next run. */
export const DEMO_MARKER_FILE = 'NORI-KV-DEMO';
