import { mixSeed, mulberry32 } from './prng.js';

/** One write of the demo workload; `batch` is applied atomically. */
export type DemoOperation =
  { kind: 'put'; key: string; value: string; expiresAt?: number } | { kind: 'del'; key: string } | { kind: 'batch'; writes: DemoWrite[] };

/** A put or delete inside a batch. */
export type DemoWrite = { kind: 'put'; key: string; value: string } | { kind: 'del'; key: string };

/** Parameters both demo processes derive the workload from. */
export interface DemoWorkloadConfig {
  /** WAL records to write (batches count every record they hold). */
  records: number;
  seed: number;
  /** Unix ms the demo started at; session expiries are absolute times after it. */
  startedAt: number;
}

/** The generated workload: operations in issue order plus totals. */
export interface DemoWorkload {
  operations: DemoOperation[];
  records: number;
}

const PLANS = ['free', 'pro', 'team', 'enterprise'] as const;
const NAMES = ['ada', 'grace', 'linus', 'barbara', 'ken', 'margaret', 'dennis', 'frances', 'alan', 'radia'] as const;
const AGENTS = ['firefox/133', 'chrome/131', 'safari/18', 'curl/8.5', 'okhttp/4.12'] as const;
/** Share of sessions with a short TTL that runs out while the demo is still going. */
const SHORT_TTL_SHARE = 0.3;

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * The operation at `index`: a pure function of (config, index), so the parent can recompute
 * exactly what the child wrote. Mix: 40% user profile upserts (users are overwritten often),
 * 25% sessions with a TTL (30% of them expire within a few seconds), 10% user deletes,
 * 5% session deletes, 20% atomic order batches (order header, 2-5 lines, user's last order).
 */
export function demoOperation(config: DemoWorkloadConfig, index: number): DemoOperation {
  const random = mulberry32(mixSeed(config.seed, index));
  const users = Math.max(1000, Math.floor(config.records / 4));
  const roll = random();
  const userId = Math.floor(random() * users);
  const userKey = `user:${pad(userId, 6)}`;
  if (roll < 0.4) {
    const name = pick(NAMES, random);
    const value = JSON.stringify({
      id: userId,
      name: `${name}-${userId}`,
      email: `${name}.${userId}@example.com`,
      plan: pick(PLANS, random),
      version: index,
    });
    return { kind: 'put', key: userKey, value };
  }
  if (roll < 0.65) {
    const short = random() < SHORT_TTL_SHARE;
    const expiresAt = config.startedAt + (short ? 200 + Math.floor(random() * 2800) : 3_600_000);
    const value = JSON.stringify({ user: userId, ip: `10.${index & 255}.${(index >> 8) & 255}.${userId & 255}`, agent: pick(AGENTS, random) });
    return { kind: 'put', key: `session:${pad(index, 7)}`, value, expiresAt };
  }
  if (roll < 0.75) return { kind: 'del', key: userKey };
  if (roll < 0.8) return { kind: 'del', key: `session:${pad(Math.floor(random() * Math.max(1, index)), 7)}` };
  const orderKey = `order:${pad(index, 7)}`;
  const lines = 2 + Math.floor(random() * 4);
  const writes: DemoWrite[] = [];
  let total = 0;
  for (let line = 0; line < lines; line++) {
    const quantity = 1 + Math.floor(random() * 5);
    const cents = 199 + Math.floor(random() * 9800);
    total += quantity * cents;
    writes.push({ kind: 'put', key: `${orderKey}:line:${line}`, value: JSON.stringify({ sku: `sku-${Math.floor(random() * 5000)}`, quantity, cents }) });
  }
  writes.unshift({ kind: 'put', key: orderKey, value: JSON.stringify({ user: userId, lines, totalCents: total }) });
  writes.push({ kind: 'put', key: `${userKey}:last-order`, value: orderKey });
  return { kind: 'batch', writes };
}

/** Number of WAL records an operation writes. */
export function recordsOf(operation: DemoOperation): number {
  return operation.kind === 'batch' ? operation.writes.length : 1;
}

/** Generates operations until they hold at least `config.records` WAL records. */
export function demoWorkload(config: DemoWorkloadConfig): DemoWorkload {
  const operations: DemoOperation[] = [];
  let records = 0;
  while (records < config.records) {
    const operation = demoOperation(config, operations.length);
    operations.push(operation);
    records += recordsOf(operation);
  }
  return { operations, records };
}
