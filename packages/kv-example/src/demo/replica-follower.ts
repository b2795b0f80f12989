import { openReplica, type ObjectStore, type Replica, type ReplicaLag } from '@nori/archive';
import { bytesToString } from '../bytes.js';
import { decodeOperation } from '../record-envelope.js';

/** Polling interval of the demo's replica. */
const REPLICA_POLL_MS = 100;

interface FollowedEntry {
  value: string;
  /** Unix ms; 0 = never. */
  expiresAt: number;
}

/**
 * The archive demo's replica: follows an archive prefix in the background (across generations,
 * so through a promotion) and applies every record to an in-memory key-value state, decoded the
 * way the store decodes its own log.
 */
export class ReplicaFollower implements AsyncDisposable {
  /** Records applied so far. */
  records = 0;
  /** Set when following stopped with an error (not by `close()`). */
  error: unknown;

  private readonly state = new Map<string, FollowedEntry>();
  private readonly controller = new AbortController();
  private readonly replica: Replica;
  private readonly running: Promise<void>;

  constructor(store: ObjectStore, prefix: string) {
    this.replica = openReplica({ store, prefix, pollIntervalMs: REPLICA_POLL_MS });
    this.running = this.follow();
  }

  /** Live keys and values at `now` (expired keys are absent, as in the store). */
  visibleState(now: number): Map<string, string> {
    const visible = new Map<string, string>();
    for (const [key, entry] of this.state) if (entry.expiresAt === 0 || entry.expiresAt > now) visible.set(key, entry.value);
    return visible;
  }

  /** The replica's lag behind the archive. */
  lag(): Promise<ReplicaLag> {
    return this.replica.lag();
  }

  /** Stops following. Idempotent. */
  async close(): Promise<void> {
    this.controller.abort();
    await this.running;
    await this.replica.close();
  }

  /** Same as {@link ReplicaFollower.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async follow(): Promise<void> {
    try {
      for await (const entry of this.replica.follow({ signal: this.controller.signal })) {
        const operation = decodeOperation(entry);
        const key = bytesToString(operation.key);
        if (operation.kind === 'put') this.state.set(key, { value: bytesToString(operation.value), expiresAt: operation.expiresAt });
        else this.state.delete(key);
        this.records++;
      }
    } catch (error) {
      if (!this.controller.signal.aborted) this.error = error;
    }
  }
}
