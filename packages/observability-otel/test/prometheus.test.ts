import { describe, expect, it } from 'vitest';
import { NORI_ARCHIVE_METRICS, NORI_WAL_LEGACY_METRICS, NORI_WAL_METRICS, prometheusName } from '../src/index.js';
import { startPrometheusExample } from '../examples/prometheus.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return samples;
}

function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const matching = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matching.length === 0) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
  return matching.reduce((sum, s) => sum + s.value, 0);
}

describe('examples/prometheus.ts', () => {
  it('serves the WAL metrics in Prometheus form on an ephemeral port', async () => {
    const records = 300;
    const example = await startPrometheusExample({ port: 0, records, walName: 'prom-test' });
    try {
      // Nothing is appended during the test: after this flush the archiver's counters stay put.
      const archived = await example.archiver.flush();
      const url = new URL(example.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.pathname).toBe('/metrics');
      expect(Number(url.port)).toBeGreaterThan(0);
      expect(Number(url.port)).not.toBe(9464);

      const response = await fetch(example.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();

      for (const name of [
        'nori_wal_append_records_total',
        'nori_wal_append_size_total',
        'nori_wal_fsync_duration',
        'nori_wal_group_commit_size',
        'nori_wal_segment_rotations_total',
        'nori_wal_segment_deletions_total',
        'nori_wal_segment_count',
        'nori_wal_segment_file_size',
        'nori_wal_queue_size',
        'nori_wal_recovery_duration',
        'nori_wal_recovery_records_total',
        'nori_wal_recovery_truncated_size_total',
      ]) {
        expect(text, name).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
      }
      // Every metric that had an event is there under the documented name (corruptions and
      // failures only appear once something went wrong).
      for (const d of NORI_WAL_METRICS) {
        if (d.name === 'nori.wal.corruptions' || d.name === 'nori.wal.failures') continue;
        expect(text).toContain(`# TYPE ${prometheusName(d)} `);
      }
      // A new setup has no dashboards on the 0.1 names: the example turns them off.
      for (const d of NORI_WAL_LEGACY_METRICS) expect(text).not.toContain(`# TYPE ${prometheusName(d)} `);
      expect(text).toMatch(/^nori_wal_fsync_duration_bucket\{.*le="0\.00005"\} \d+$/m);
      expect(text).toMatch(/^nori_wal_fsync_duration_bucket\{.*le="\+Inf"\} \d+$/m);

      const samples = parseSamples(text);
      // The resource names the service: without one the SDK exports `unknown_service:node`.
      const [targetInfo, ...moreTargets] = samples.filter((s) => s.name === 'target_info');
      expect(moreTargets).toEqual([]);
      expect(targetInfo?.labels['service_name']).toBe('nori-wal-example');
      const wal = { nori_wal_name: 'prom-test' };
      const stats = example.wal.stats();
      // Both sessions are counted: the observer outlives the first WAL instance.
      expect(total(samples, 'nori_wal_append_records_total', wal)).toBe(2 * records);
      expect(total(samples, 'nori_wal_append_records_total', { ...wal, nori_wal_batch: 'true' })).toBe(records);
      expect(total(samples, 'nori_wal_append_records_total', { ...wal, nori_wal_batch: 'false' })).toBe(records);
      expect(total(samples, 'nori_wal_recovery_records_total', wal)).toBe(records);
      expect(total(samples, 'nori_wal_recovery_duration_count', wal)).toBe(2);
      expect(total(samples, 'nori_wal_fsync_duration_count', { ...wal, nori_wal_fsync_outcome: 'ok' })).toBeGreaterThan(0);
      expect(total(samples, 'nori_wal_group_commit_size_sum', wal)).toBe(2 * records);
      expect(total(samples, 'nori_wal_segment_rotations_total', wal)).toBeGreaterThan(0);
      expect(total(samples, 'nori_wal_segment_deletions_total', wal)).toBeGreaterThan(0);
      expect(total(samples, 'nori_wal_segment_count', wal)).toBe(stats.segments);
      expect(total(samples, 'nori_wal_segment_file_size', wal)).toBe(stats.diskBytes);
      expect(total(samples, 'nori_wal_queue_size', wal)).toBe(stats.queuedBytes);

      // The archiver shipped both sessions; no store error, no fencing.
      const archive = { nori_archive_name: 'prom-test' };
      const data = { ...archive, nori_archive_chunk_kind: 'data' };
      const archiverStats = example.archiver.stats();
      expect(total(samples, 'nori_archive_chunks_total', data)).toBe(archiverStats.chunks);
      expect(total(samples, 'nori_archive_ship_size_total', data)).toBe(archiverStats.bytes);
      expect(total(samples, 'nori_archive_ship_duration_count', archive)).toBe(archiverStats.chunks + 1);
      expect(total(samples, 'nori_archive_lag_size', archive)).toBe(0);
      expect(total(samples, 'nori_archive_position_segment', archive)).toBe(archived.segmentId);
      expect(total(samples, 'nori_archive_position_offset', archive)).toBe(archived.offset);
      expect(total(samples, 'nori_archive_archiver_count', { ...archive, nori_archive_archiver_state: 'running' })).toBe(1);
      for (const d of NORI_ARCHIVE_METRICS) {
        const onlyOnTrouble = ['nori.archive.store.retries', 'nori.archive.failures', 'nori.archive.fencings', 'nori.archive.generation.resumes'];
        expect(text.includes(`# TYPE ${prometheusName(d)} `), d.name).toBe(!onlyOnTrouble.includes(d.name));
      }

      const missing = await fetch(new URL('/nothing', example.url));
      expect(missing.status).toBe(404);
      await missing.text();
    } finally {
      await example.close();
    }
    await expect(fetch(example.url)).rejects.toThrow();
    expect(example.wal.state).toBe('closed');
  });

  it('takes the service.name of its resource from the serviceName option', async () => {
    const example = await startPrometheusExample({ port: 0, records: 2, serviceName: 'orders-api' });
    try {
      const text = await (await fetch(example.url)).text();
      const targetInfo = parseSamples(text).filter((s) => s.name === 'target_info');
      expect(targetInfo.map((s) => s.labels['service_name'])).toEqual(['orders-api']);
    } finally {
      await example.close();
    }
  });
});
