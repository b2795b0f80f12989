import { readFileSync, writeFileSync } from 'node:fs';

/** Peak memory a child saw while running one task, in bytes above the level just before it. */
export interface MemoryPeak {
  /** Peak resident set size minus RSS before the task (kernel high-water mark when available). */
  readonly rssBytes: number;
  /** Peak sampled V8 `heapUsed` (live objects and not yet collected garbage) minus before. */
  readonly heapBytes: number;
  /** Peak sampled `external` (ArrayBuffers and other off-heap memory) minus before. */
  readonly externalBytes: number;
  /** `kernel-hwm` when /proc/self/clear_refs reset the high-water mark, else `sampled`. */
  readonly rssSource: 'kernel-hwm' | 'sampled';
  readonly samples: number;
}

function kernelPeakRss(): number | undefined {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : undefined;
}

function resetKernelPeak(): boolean {
  try {
    // "5" resets the peak RSS high-water mark (Linux >= 4.0, own process only).
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Measures the memory `task` needs on top of what the process already holds: runs a full GC
 * (needs `--expose-gc`), resets the kernel's peak-RSS mark, then samples `process.memoryUsage()`
 * every millisecond (whenever the task yields to the event loop) while it runs.
 */
export async function measurePeak(task: () => Promise<void>): Promise<MemoryPeak> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('measurePeak needs node --expose-gc');
  gc();
  gc();
  const before = process.memoryUsage();
  const kernel = resetKernelPeak();
  let rssPeak = before.rss;
  let heapPeak = before.heapUsed;
  let externalPeak = before.external;
  let samples = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
    externalPeak = Math.max(externalPeak, m.external);
    samples++;
  };
  const timer = setInterval(sample, 1);
  try {
    await task();
  } finally {
    clearInterval(timer);
    sample();
  }
  const hwm = kernel ? kernelPeakRss() : undefined;
  return {
    rssBytes: Math.max(hwm ?? rssPeak, rssPeak) - before.rss,
    heapBytes: heapPeak - before.heapUsed,
    externalBytes: externalPeak - before.external,
    rssSource: hwm === undefined ? 'sampled' : 'kernel-hwm',
    samples,
  };
}
