/**
 * Milliseconds on a monotonic clock, for durations and batch windows. Not `performance.now()`:
 * the global `performance` loads perf_hooks (a dozen modules, ~1-2 ms) on first use, which every
 * short-lived process that opens a WAL would pay (cold start).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
