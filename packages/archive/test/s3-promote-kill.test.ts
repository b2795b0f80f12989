import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wal } from '@nori/wal';
import { afterAll, expect, it } from 'vitest';
import { Archiver, S3ObjectStore, applyRetention, isArchiveError, promote, type ObjectStore, type Promotion, type S3ObjectStoreConfig } from '../src/index.js';
import { seededRandom } from './archiver-support.js';
import { describeS3, uniquePrefix } from './s3-env.js';
import { eventsPath, killAllPrimaries, readPrimaryEvents, spawnPrimary, startPrimary, type PrimaryChild } from './support/kill-primary.js';
import { idOfKey, remoteRecord } from './support/remote-records.js';

// The issue asks for >= 50 rounds; scripts/test-node-versions.sh reruns the suite on other Node
// majors with fewer (NORI_ARCHIVE_PROMOTE_KILL_ROUNDS), since those runs look for version differences.
const ROUNDS = Number(process.env['NORI_ARCHIVE_PROMOTE_KILL_ROUNDS'] ?? 50);
const SEED = 20261206;
/** Independent chains run side by side (the rounds mostly wait on the store and on child start-up). */
const LANES = 3;
/** Real child processes and a real gateway on 2 busy cores: generous, but bounded. */
const TIMEOUT_MS = 240_000;
/** How long a loaded child may take from `ready` to its first acknowledged append. */
const ACK_TIMEOUT_MS = 30_000;
/** Ids of round r start at r * ID_STRIDE (a round never appends this many). */
const ID_STRIDE = 1_000_000;

/** How long the parent retries a store call through a gateway outage (s3-restart.test.ts restarts RGW). */
const OUTAGE_BUDGET_MS = 90_000;

/** Runs `call` again while it fails with a retryable store error (the gateway restarting), within a budget. */
async function throughOutages<T>(call: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + OUTAGE_BUDGET_MS;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!(isArchiveError(error) && error.retryable) || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function removeAll(store: ObjectStore): Promise<void> {
  for await (const { key } of store.list('')) await store.delete(key);
}

/** Checks the promoted log: every acknowledged id once, nothing never submitted, values intact. */
async function checkPromoted(primary: Promotion, submitted: ReadonlySet<number>, acknowledged: ReadonlySet<number>): Promise<number> {
  const seen = new Set<number>();
  for await (const entry of primary.wal.read()) {
    const id = idOfKey(Buffer.from(entry.key).toString());
    expect(id !== undefined && submitted.has(id), `record ${String(id)} was submitted`).toBe(true);
    expect(seen.has(id as number), `record ${String(id)} appears once`).toBe(false);
    seen.add(id as number);
    const want = Buffer.from(remoteRecord(id as number, SEED).value);
    expect(Buffer.compare(Buffer.from(entry.value), want), `record ${String(id)} value`).toBe(0);
  }
  const lost = [...acknowledged].filter((id) => !seen.has(id));
  expect(lost, 'remote-acknowledged records lost').toEqual([]);
  return seen.size;
}

/** The old primary's directory, restarted after the promotion: its archiver is fenced, naming the new generation. */
async function expectOldPrimaryFenced(dir: string, store: ObjectStore, prefix: string, generation: number): Promise<void> {
  const { wal } = await Wal.open({ dir });
  try {
    const error = await Archiver.start(wal, { store, prefix }).then(
      async (archiver) => {
        await archiver.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(isArchiveError(error, 'ERR_FENCED'), `old primary fenced: ${String(error)}`).toBe(true);
    expect((error as Error).message).toContain(`generation ${generation}`);
  } finally {
    await wal.close();
  }
}

/** One chain of kill rounds on its own archive prefix and directories; returns the acknowledged count. */
interface Lane {
  config: S3ObjectStoreConfig;
  storePrefix: string;
  store: ObjectStore;
  root: string;
  /** Archive prefix of this lane. */
  prefix: string;
  rounds: number;
  random: () => number;
  /** Ids of the lane's round r start at (firstRound + r) * ID_STRIDE. */
  firstRound: number;
}

/**
 * Rounds of: a loaded child opens the lane's current primary directory and appends remote-durably
 * from several workers; SIGKILL after a seeded delay; promote the archive into a fresh directory
 * and check it holds every acknowledged record; restart the old directory: fenced.
 */
async function runLane(lane: Lane): Promise<number> {
  const { root, prefix, store } = lane;
  const submitted = new Set<number>();
  const acknowledged = new Set<number>();
  const events = (round: number): string => eventsPath(root, `${prefix}-${round}`);
  let dir = join(root, `${prefix}-primary-0`);
  let next: PrimaryChild = spawnPrimary(lane.config, lane.storePrefix, events(0));
  let generation = 0;
  for (let round = 0; round < lane.rounds; round++) {
    const child = next;
    // The next round's child loads while this round runs.
    if (round + 1 < lane.rounds) next = spawnPrimary(lane.config, lane.storePrefix, events(round + 1));
    const workers = 1 + Math.floor(lane.random() * 12);
    startPrimary(child, { dir, firstId: (lane.firstRound + round) * ID_STRIDE, seed: SEED, workers, prefix });
    const ready = await child.ready;
    // Kill only after the first acknowledgement: on a loaded machine a fixed delay can end a round
    // before anything was acknowledged, and the round would check nothing.
    const acked = ready && (await Promise.race([child.acked, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ACK_TIMEOUT_MS))]));
    if (acked) await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(lane.random() * 200)));
    child.process.kill('SIGKILL');
    await child.exited;
    const reported = await readPrimaryEvents(child.events);
    expect(reported.errors, `${prefix} round ${round}: ${child.stderr.join('')}`).toEqual([]);
    expect(ready, `${prefix} round ${round}: the child reached ready`).toBe(true);
    expect(acked, `${prefix} round ${round}: the child's first remote-durable append resolved`).toBe(true);
    for (const id of reported.submitted) submitted.add(id);
    for (const id of reported.acknowledged) acknowledged.add(id);

    const newDir = join(root, `${prefix}-primary-${round + 1}`);
    const primary = await throughOutages(() => promote({ store, prefix, dir: newDir, archiver: { intervalMs: 1000 } }));
    try {
      expect(primary.report.generation).toBeGreaterThan(generation);
      generation = primary.report.generation;
      await checkPromoted(primary, submitted, acknowledged);
    } finally {
      await primary.close();
    }
    await expectOldPrimaryFenced(dir, store, prefix, generation);
    // The new generation holds the whole log: older ones can go (keeps listings short).
    await throughOutages(() => applyRetention({ store, prefix, keepGenerations: 1 }));
    await rm(dir, { recursive: true, force: true });
    dir = newDir;
  }
  return acknowledged.size;
}

describeS3('remote-durable appends: SIGKILL the primary, promote from the archive (real S3)', (env) => {
  const storePrefix = uniquePrefix('promote-kill');
  const store = new S3ObjectStore({ ...env.config, prefix: storePrefix, maxAttempts: 3 });
  const roots: string[] = [];
  afterAll(async () => {
    killAllPrimaries();
    await removeAll(store).catch(() => undefined);
    store.destroy();
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  it(`${ROUNDS} kill rounds in ${LANES} lanes: zero remote-acknowledged records lost; the old primary is fenced`, { timeout: TIMEOUT_MS }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'nori-promote-kill-'));
    roots.push(root);
    const perLane = Math.ceil(ROUNDS / LANES);
    const lanes = Array.from({ length: LANES }, (_, i): Lane => ({
      config: env.config,
      storePrefix,
      store,
      root,
      prefix: `log${i}`,
      rounds: perLane,
      random: seededRandom(SEED + i),
      firstRound: i * perLane,
    }));
    const acknowledged = await Promise.all(lanes.map((lane) => runLane(lane)));
    for (const count of acknowledged) expect(count).toBeGreaterThanOrEqual(perLane); // every round asserts its own acknowledgement
  });
});
