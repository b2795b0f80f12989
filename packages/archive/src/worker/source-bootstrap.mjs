// Worker bootstrap used only when @nori/archive runs from its TypeScript sources (tests,
// benchmarks): a worker thread does not inherit its parent's module hooks on Node 20, so it
// registers tsx (the workspace's dev loader) before importing the worker entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
