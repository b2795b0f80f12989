export { Replica, openReplica } from './replica.js';
export type { ReplicaEntry } from './cursor.js';
export type { ReplicaLag } from './lag.js';
export { DEFAULT_POLL_INTERVAL_MS, DEFAULT_REPLICA_PREFETCH, type FollowOptions, type ReplicaOptions, type ReplicaPosition } from './options.js';
export type { ChunkAppliedEvent, GenerationChangedEvent, ReplicaObserver } from './observer.js';
export { MAX_TRACKED_SEGMENTS } from './history.js';
