import { fs } from './node-fs.js';
import os from 'node:os';

let bootIdCache: string | null | undefined;

/** Linux boot id (`/proc/sys/kernel/random/boot_id`), or `undefined` elsewhere. */
export function bootId(): string | undefined {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache ?? undefined;
}

/**
 * Start time of `pid` in clock ticks since boot (`/proc/<pid>/stat` field 22), or `undefined`
 * where `/proc` is unavailable or the process is gone. Tells a live process from a recycled pid.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (comm) is parenthesised and may contain spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[22 - 3];
}

/** Whether a process with this pid exists (EPERM counts as existing). */
export function processExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** This host's name as recorded in lock files. */
export function hostName(): string {
  return os.hostname();
}
