/**
 * Benchmark knobs, read once from the environment.
 *
 * - `NORI_BENCH_QUICK=1`: a fast smoke run (small logs, short runs, 3 runs per figure).
 * - `NORI_BENCH_RUNS=n`: measured runs per figure (at least 3; the median is reported).
 * - `NORI_BENCH_READ_MIB=n`: size of the large sequential-read log (default 1024 = 1 GiB).
 * - `NORI_BENCH_GET_MIB=n`: size of the point-read (`get`) log (default 128; 1024 for 1 GiB).
 */
export interface BenchSettings {
  /** Fast smoke run with small sizes. */
  readonly quick: boolean;
  /** Measured runs per figure; the reported value is their median. */
  readonly runs: number;
  /** Time budget of one run of a rate workload (appends, batches, writers), in ms. */
  readonly runMs: number;
  /** Upper bound on the bytes one run of a rate workload writes. */
  readonly runMaxBytes: number;
  /** Size of the large sequential-read log, in bytes. */
  readonly bigReadBytes: number;
  /** Size of the "50 MB" recovery log, in bytes. */
  readonly recoveryBytes: number;
  /** Number of 1 MiB segments in the many-segments recovery workload. */
  readonly smallSegments: number;
  /** Records in the small sequential-read workload. */
  readonly smallReadRecords: number;
  /** Size of the point-read (`get`) log, in bytes. */
  readonly getLogBytes: number;
}

const MiB = 1024 * 1024;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return parsed;
}

/** Reads the benchmark settings from `process.env` (see the module comment for the variables). */
export function readSettings(): BenchSettings {
  const quick = process.env.NORI_BENCH_QUICK === '1';
  const runs = Math.max(3, positiveInt('NORI_BENCH_RUNS', quick ? 3 : 5));
  return {
    quick,
    runs,
    runMs: quick ? 100 : 400,
    runMaxBytes: (quick ? 16 : 128) * MiB,
    bigReadBytes: positiveInt('NORI_BENCH_READ_MIB', quick ? 32 : 1024) * MiB,
    recoveryBytes: quick ? 8_000_000 : 50_000_000,
    smallSegments: quick ? 8 : 64,
    smallReadRecords: quick ? 2_000 : 10_000,
    getLogBytes: positiveInt('NORI_BENCH_GET_MIB', quick ? 16 : 128) * MiB,
  };
}
