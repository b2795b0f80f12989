import { fs } from './node/node-fs.js';

/** The kernel's CSPRNG as a file (Linux, macOS, the BSDs). */
const URANDOM = '/dev/urandom';

/**
 * `bytes` random bytes as lowercase hex, for lock nonces and temporary names (they need to be
 * unique, not secret). Read straight from the kernel's CSPRNG where it is a file: loading
 * `node:crypto` for 18 bytes per lock cost every process ~1.5-3 ms of start (it is the bulk of
 * Node's crypto bindings). Elsewhere (Windows), `node:crypto`, loaded on this first use.
 */
export function randomHex(bytes: number): string {
  const out = Buffer.alloc(bytes);
  if (!readUrandom(out)) process.getBuiltinModule('node:crypto').randomFillSync(out);
  return out.toString('hex');
}

function readUrandom(out: Buffer): boolean {
  let fd: number;
  try {
    fd = fs.openSync(URANDOM, 'r');
  } catch {
    return false;
  }
  try {
    let filled = 0;
    while (filled < out.length) {
      const n = fs.readSync(fd, out, filled, out.length - filled, null);
      if (n <= 0) return false;
      filled += n;
    }
    return true;
  } catch {
    return false;
  } finally {
    fs.closeSync(fd);
  }
}

/** Random bytes in a lock's nonce. */
const LOCK_NONCE_BYTES = 12;

/** A new lock nonce (`LockInfo.nonce`): tells this acquisition of a lock from every other. */
export function lockNonce(): string {
  return randomHex(LOCK_NONCE_BYTES);
}
