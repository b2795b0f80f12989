import fs from 'node:fs/promises';
import path from 'node:path';
import { S3ObjectStore, promote, type ObjectStore, type S3ObjectStoreConfig } from '@nori/archive';
import { KvStore } from '../kv-store.js';
import { formatCount, formatDuration } from '../cli/format.js';
import { prepareDemoDir } from './demo-dir.js';
import { mulberry32 } from './prng.js';
import { ReplicaFollower } from './replica-follower.js';
import { readAll, sameState, timed } from './run-demo.js';
import { DEMO_STORE_OPTIONS } from './settings.js';
import { verifyRecoveredState } from './verify.js';
import { demoWorkload } from './workload.js';
import { runWritePhase } from './write-phase.js';

/** Options of {@link runArchiveDemo}. */
export interface ArchiveDemoOptions {
  /** Demo directory: holds the primary's (deleted) and the promoted primary's directories. */
  dir: string;
  records: number;
  seed: number;
  /** The S3 store (see `demoS3Config`). */
  s3: S3ObjectStoreConfig;
  /** Archive prefix of this run (fresh per run). */
  prefix: string;
  /** Path of the CLI script; the writer child runs `<cliPath> demo-writer`. */
  cliPath: string;
  out: (line: string) => void;
  /** SIGKILL the primary after this long at the latest (default: the write phase's limit). */
  writeLimitMs?: number;
}

/** Writes the promoted primary makes to show it accepts writes. */
const WRITES_AFTER_PROMOTION = 100;
/** How long the replica may take to converge at the end. */
const CONVERGE_LIMIT_MS = 30_000;
/** How often the replica's lag is printed. */
const LAG_REPORT_MS = 250;

/**
 * `nori-kv demo --archive`: a primary child writes remote-durably to an S3 archive and is
 * SIGKILLed, its directory deleted; a new primary is promoted from the archive on a fresh
 * directory and must hold every remotely acknowledged write, then accepts new writes; a replica
 * follows the archive throughout and must converge to the promoted primary's state. Returns the
 * exit code: 0 when nothing was lost and the replica converged, 1 otherwise.
 */
export async function runArchiveDemo(options: ArchiveDemoOptions): Promise<number> {
  const { dir, records, seed, prefix, out } = options;
  const startedAt = Date.now();
  const operations = demoWorkload({ records, seed, startedAt }).operations;
  const killAt = Math.floor(operations.length * (0.55 + 0.3 * mulberry32(seed)()));
  await prepareDemoDir(dir);
  const primaryDir = path.join(dir, 'primary');
  const promotedDir = path.join(dir, 'promoted');
  const store = new S3ObjectStore(options.s3);
  out('nori-kv demo --archive: the primary machine is lost; a new one is promoted from the object store and must lose nothing');
  out('');
  out(`  archive   s3://${options.s3.bucket}/${prefix} at ${options.s3.endpoint ?? 'AWS'}`);
  out(`  workload  ${formatCount(operations.length)} operations (seed ${seed}); every write acknowledged once its bytes are in the store`);
  out('');
  let replica: ReplicaFollower | undefined;
  try {
    const write = await writePrimary(options, { operations: operations.length, startedAt, killAt, primaryDir, store }, (r) => (replica = r));
    await fs.rm(primaryDir, { recursive: true, force: true });
    out(`2. gone    ${primaryDir} deleted: the primary's disk is lost for good`);
    await printLag(replica, out);
    const code = await promoteAndVerify({ ...options, store, promotedDir, acknowledged: write.acknowledged, operations, replica });
    return code;
  } finally {
    await replica?.close();
  }
}

interface WriteContext {
  operations: number;
  startedAt: number;
  killAt: number;
  primaryDir: string;
  store: ObjectStore;
}

/** Step 1: the primary child writes, the replica starts following, the primary is killed. */
async function writePrimary(
  options: ArchiveDemoOptions,
  context: WriteContext,
  onReplica: (replica: ReplicaFollower) => void,
): Promise<{ acknowledged: number }> {
  let replica: ReplicaFollower | undefined;
  let ackedRecords = 0;
  const lagTimer = setInterval(() => void printLag(replica, options.out, ackedRecords), LAG_REPORT_MS);
  try {
    const phase = await runWritePhase({
      cliPath: options.cliPath,
      args: {
        dir: context.primaryDir,
        records: options.records,
        seed: options.seed,
        startedAt: context.startedAt,
        compactAt: context.operations + 1,
        archivePrefix: options.prefix,
      },
      killAt: context.killAt,
      out: options.out,
      ...(options.writeLimitMs === undefined ? {} : { limitMs: options.writeLimitMs }),
      onAcked: (message) => {
        ackedRecords = Math.max(ackedRecords, message.records);
        if (replica !== undefined || message.acked === 0) return;
        // The archive holds a generation now: the replica can start following it.
        replica = new ReplicaFollower(context.store, options.prefix);
        onReplica(replica);
        options.out('            replica started: it follows the archive live from another "machine" (this process)');
      },
    });
    return { acknowledged: phase.killedAt?.acked ?? 0 };
  } finally {
    clearInterval(lagTimer);
  }
}

/** One line of replica progress; `ackedRecords` (records the primary acknowledged so far) when known. */
async function printLag(replica: ReplicaFollower | undefined, out: (line: string) => void, ackedRecords?: number): Promise<void> {
  if (replica === undefined) return;
  const lag = await replica.lag().catch(() => undefined);
  if (lag?.polledAt === undefined) return;
  const acked = ackedRecords === undefined ? '' : ` (primary: ${formatCount(ackedRecords)} acknowledged)`;
  out(
    `            replica   ${formatCount(replica.records)} records applied${acked}, lag ${lag.seconds.toFixed(2)} s, ` +
      `${plainChunks(lag.chunks)} behind, last poll ${formatDuration(Math.max(0, Date.now() - lag.polledAt))} ago`,
  );
}

function plainChunks(chunks: number): string {
  return `${formatCount(chunks)} chunk${chunks === 1 ? '' : 's'}`;
}

interface PromoteContext extends ArchiveDemoOptions {
  store: ObjectStore;
  promotedDir: string;
  acknowledged: number;
  operations: Parameters<typeof verifyRecoveredState>[0];
  replica: ReplicaFollower | undefined;
}

/** Steps 3-5: promote, verify every acknowledged write, write as the new primary, converge the replica. */
async function promoteAndVerify(context: PromoteContext): Promise<number> {
  const { out, store, prefix, promotedDir, acknowledged, operations } = context;
  const promoted = await timed(() => promote({ store, prefix, dir: promotedDir }));
  const { report } = promoted.value;
  await promoted.value.close({ flush: true });
  out(
    `3. promote restored generation ${report.restoredGeneration} (${formatCount(report.recovery.records)} records) into ${promotedDir} in ${formatDuration(promoted.ms)}; ` +
      `the new primary owns generation ${report.generation}`,
  );
  const now = Date.now();
  const primary = await KvStore.open({ dir: promotedDir, ...DEMO_STORE_OPTIONS, now: () => now, archive: { store, prefix } });
  try {
    const verification = verifyRecoveredState(operations, acknowledged, readAll(primary), now);
    if (verification.matchedOperations === undefined) {
      out(`4. verify  FAILED: the promoted store matches no state that contains all ${formatCount(acknowledged)} remotely acknowledged operations`);
      for (const difference of verification.differences) out(`            ${difference}`);
      out('');
      out(`LOST DATA. Reproduce with: nori-kv demo --archive --records ${context.records} --seed ${context.seed}`);
      return 1;
    }
    out(
      `4. verify  the promoted store holds exactly the first ${formatCount(verification.matchedOperations)} operations ` +
        `(${formatCount(acknowledged)} remotely acknowledged + ${formatCount(verification.matchedOperations - acknowledged)} shipped before the kill); 0 acknowledged writes lost`,
    );
    const written = await timed(() => writeAsNewPrimary(primary));
    out(
      `5. write   the new primary (generation ${report.generation}) acknowledged ${WRITES_AFTER_PROMOTION} more remote-durable writes in ${formatDuration(written.ms)}`,
    );
    return await checkReplica(context, readAll(primary), now);
  } finally {
    await primary.close();
  }
}

async function writeAsNewPrimary(primary: KvStore): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let i = 0; i < WRITES_AFTER_PROMOTION; i++)
    writes.push(primary.put(`promoted:${String(i).padStart(4, '0')}`, JSON.stringify({ after: 'promotion', i })));
  await Promise.all(writes);
}

/** Step 6: the replica converges to the promoted primary's state (or the demo fails). */
async function checkReplica(context: PromoteContext, expected: ReadonlyMap<string, string>, now: number): Promise<number> {
  const { out, replica } = context;
  if (replica === undefined) {
    out('6. replica FAILED: it never started (the primary acknowledged nothing)');
    return 1;
  }
  const started = performance.now();
  while (!sameState(replica.visibleState(now), expected) && replica.error === undefined && performance.now() - started < CONVERGE_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const lag = await replica.lag();
  if (!sameState(replica.visibleState(now), expected)) {
    const reason = replica.error instanceof Error ? `: ${replica.error.message}` : ` within ${formatDuration(CONVERGE_LIMIT_MS)}`;
    out(`6. replica FAILED: it did not converge to the promoted primary's ${formatCount(expected.size)} keys${reason}`);
    return 1;
  }
  out(
    `6. replica converged across the promotion: ${formatCount(expected.size)} keys identical to the new primary, ${formatCount(replica.records)} records applied ` +
      `in all (${formatDuration(performance.now() - started)} to catch up at the end), lag ${lag.seconds.toFixed(2)} s`,
  );
  out('');
  out(
    `OK: every remotely acknowledged write survived the loss of the machine, and the replica agrees. Look around: nori-kv --dir ${context.promotedDir} stats`,
  );
  return 0;
}
