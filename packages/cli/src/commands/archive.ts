import type { ArchiveCatalog, GenerationInfo, ObjectStore, RestoreOptions, RestoreReport } from '@nori/archive';
import { ExitCode, NoriCliError } from '../errors.js';
import { formatCount, formatPosition, formatSize, formatTable, parseCount, parsePosition, type LogPosition } from '../format.js';
import type { ArgumentSpec, CommandSpec, OptionSpec } from '../args.js';
import type { Output } from '../output.js';

/** Where an archive lives: `s3://bucket/prefix`. */
export interface ArchiveUrl {
  bucket: string;
  /** The archive prefix inside the bucket (may be empty). */
  prefix: string;
}

/** S3 connection settings of the archive commands (credentials: the AWS provider chain only). */
export interface ArchiveConnection {
  endpoint?: string | undefined;
  forcePathStyle: boolean;
}

/** What the archive commands need from the CLI around them. */
export interface ArchiveCommandContext {
  stdout: Output;
  stderr: Output;
  setExit(code: number): void;
  /** Draws a progress bar on a terminal (the CLI's one rule for when). */
  withProgress<T>(
    options: { json?: boolean; progress: boolean },
    label: string,
    run: (onProgress: ((done: number, total: number) => void) | undefined) => Promise<T>,
  ): Promise<T>;
}

/** Truthy spellings of `NORI_S3_FORCE_PATH_STYLE`. */
const TRUE_VALUES: ReadonlySet<string> = new Set(['1', 'true', 'yes']);
/** Archive errors that mean damaged or missing archive contents: exit 3 like local corruption. */
const CORRUPT_CODES: ReadonlySet<string> = new Set(['ERR_ARCHIVE_CORRUPT', 'ERR_OBJECT_MISSING']);

/**
 * Parses `s3://bucket[/prefix]`.
 * @throws NoriCliError `ERR_USAGE` on anything else.
 */
export function parseArchiveUrl(text: string): ArchiveUrl {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(text);
  if (match === null) throw new NoriCliError('ERR_USAGE', `invalid archive URL "${text}": expected s3://bucket/prefix`);
  return { bucket: match[1] as string, prefix: (match[2] ?? '').replace(/\/+$/, '') };
}

/**
 * S3 settings from the environment: `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (the AWS SDK's
 * names) and `NORI_S3_FORCE_PATH_STYLE=1`; flags win. Region and credentials stay with the AWS
 * SDK's standard chain (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, profiles, roles...).
 */
export function archiveConnection(flags: { endpoint?: string; pathStyle?: boolean }, env: NodeJS.ProcessEnv = process.env): ArchiveConnection {
  const endpoint = flags.endpoint ?? (env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined);
  const forcePathStyle = flags.pathStyle === true || TRUE_VALUES.has((env['NORI_S3_FORCE_PATH_STYLE'] ?? '').toLowerCase());
  return { endpoint, forcePathStyle };
}

/** Opens the S3 store; `@nori/archive` (and the AWS SDK) load only here. */
async function openStore(url: ArchiveUrl, connection: ArchiveConnection): Promise<{ store: ObjectStore; close: () => void }> {
  // The SDK warns on every Node 20 run that its 2027 releases need Node 22: not actionable for
  // an operator of this release, and it buries the command's own stderr. An explicit setting wins.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { S3ObjectStore } = await import('@nori/archive');
  const store = new S3ObjectStore({
    bucket: url.bucket,
    forcePathStyle: connection.forcePathStyle,
    ...(connection.endpoint === undefined ? {} : { endpoint: connection.endpoint }),
  });
  return { store, close: () => store.destroy() };
}

function generationRow(g: GenerationInfo): string[] {
  const position = (p: LogPosition | undefined): string => (p === undefined ? '-' : formatPosition(p));
  return [
    String(g.generation),
    g.parentGeneration === undefined ? '?' : g.parentGeneration === null ? '-' : String(g.parentGeneration),
    g.reason ?? '?',
    `${g.firstSeq}..${g.lastSeq}${g.trimmed ? ' (trimmed)' : ''}`,
    position(g.firstPosition),
    position(g.endPosition),
    `${g.firstCreatedAt.toISOString()} .. ${g.lastCreatedAt.toISOString()}`,
    formatCount(g.chunks),
    formatSize(g.bytes),
    formatCount(g.missingChunks),
  ];
}

/** The text `archive-list` prints. */
export function formatArchiveList(url: string, catalog: ArchiveCatalog): string {
  const head = `${url}: ${catalog.generations.length} generation(s)${catalog.trimmedBelow > 0 ? `, chunks below seq ${catalog.trimmedBelow} removed by retention` : ''}\n`;
  if (catalog.generations.length === 0) return head;
  const header = ['GEN', 'PARENT', 'REASON', 'SEQS', 'FROM', 'END', 'SHIPPED (first .. last chunk)', 'CHUNKS', 'SIZE', 'MISSING'];
  return `${head}${formatTable(header, catalog.generations.map(generationRow))}\n`;
}

/** `archive-list --json`: positions as `{ segmentId, offset }`, times as ISO strings. */
export function archiveListToJson(url: string, catalog: ArchiveCatalog): unknown {
  return {
    archive: url,
    trimmedBelow: catalog.trimmedBelow,
    generations: catalog.generations.map((g) => ({
      ...g,
      parentGeneration: g.parentGeneration ?? null,
      reason: g.reason ?? null,
      startSeq: g.startSeq ?? null,
      firstPosition: g.firstPosition ?? null,
      endPosition: g.endPosition ?? null,
      firstCreatedAt: g.firstCreatedAt.toISOString(),
      lastCreatedAt: g.lastCreatedAt.toISOString(),
      firstDataCreatedAt: g.firstDataCreatedAt?.toISOString() ?? null,
    })),
  };
}

/** The text `restore` prints. */
export function formatRestoreReport(url: string, dir: string, report: RestoreReport): string {
  const torn =
    report.tailBytesDropped > 0 ? `\ntorn tail: ${formatCount(report.tailBytesDropped)} byte(s) dropped from the last chunk (as a local open would)` : '';
  return (
    `restored ${url} generation ${report.generation} into ${dir}\n` +
    `chunks ${report.startSeq}..${report.lastSeq} (${formatCount(report.chunks)}), ${formatSize(report.bytes)}, ` +
    `${formatCount(report.segments)} segment(s), ${formatCount(report.records)} record(s) verified, end ${formatPosition(report.end)}${torn}\n`
  );
}

/** Runs an archive command body; archive errors become one stderr line and an exit code. */
async function guarded(context: ArchiveCommandContext, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (!(error instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_') || error instanceof NoriCliError) throw error;
    await context.stderr.write(`nori-wal: ${code}: ${error.message.split('\n')[0] ?? ''}\n`);
    context.setExit(CORRUPT_CODES.has(code) ? ExitCode.CORRUPT : code === 'ERR_INVALID_ARGUMENT' ? ExitCode.USAGE : ExitCode.ERROR);
  }
}

function isoTime(text: string): Date {
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time.getTime())) {
    throw new Error(`invalid --to-time "${text}": expected an ISO 8601 time, e.g. 2026-12-06T18:00:00Z`);
  }
  return time;
}

const CONNECTION_HELP = `
S3 settings: credentials and region from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, AWS_PROFILE, SSO, instance roles; AWS_REGION); endpoint of an
S3-compatible store from --endpoint, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; path-style URLs
(most self-hosted stores) with --path-style or NORI_S3_FORCE_PATH_STYLE=1. Credentials are never printed.`;

type ConnectionFlags = {
  endpoint?: string;
  pathStyle?: boolean;
  json?: boolean;
};

const CONNECTION_OPTIONS: readonly OptionSpec[] = [
  { name: 'endpoint', value: '<url>', help: 'S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)' },
  { name: 'path-style', help: 'path-style bucket URLs (default: NORI_S3_FORCE_PATH_STYLE=1)' },
  { name: 'json', help: 'print one JSON document instead of text' },
];

const URL_ARGUMENT: ArgumentSpec = { name: 'url', help: 'archive, s3://bucket/prefix' };

/** `restore` and `archive-list`, for the CLI's command table. */
export function archiveCommands(context: ArchiveCommandContext): CommandSpec[] {
  return [restoreCommand(context), archiveListCommand(context)];
}

function restoreCommand(context: ArchiveCommandContext): CommandSpec {
  return {
    name: 'restore',
    summary: 'restore a WAL directory from an S3 archive (@nori/archive)',
    description:
      'Download a generation of the archive (default: the newest) into DIR, which must be empty or not exist. Every chunk and ' +
      'every record is verified; the segments are byte-identical to the archived log up to the restored point. ' +
      'A missing or damaged archive object is an error naming it (exit 3).',
    arguments: [URL_ARGUMENT, { name: 'dir', help: 'destination directory (empty or new)' }],
    options: [
      { name: 'to', value: '<segment:offset>', help: 'stop at the last record boundary at or below this position', parse: (t) => parsePosition(t) },
      {
        name: 'to-time',
        value: '<iso>',
        help: 'stop after the last chunk shipped at or before this time (default generation: the newest with data by then)',
        parse: isoTime,
        conflicts: ['to'],
      },
      { name: 'generation', value: '<n>', help: 'restore this generation (see archive-list)', parse: (t) => parseCount(t, '--generation') },
      { name: 'no-progress', help: 'never draw a progress bar' },
      ...CONNECTION_OPTIONS,
    ],
    helpAfter: [
      CONNECTION_HELP,
      '\nExamples:\n  nori-wal restore s3://backups/app /var/lib/app/wal\n  nori-wal restore s3://backups/app ./wal --to-time 2026-12-06T18:00:00Z',
    ],
    run: async ([urlText = '', dir = ''], flags: ConnectionFlags & { to?: LogPosition; toTime?: Date; generation?: number; progress: boolean }) => {
      const url = parseArchiveUrl(urlText);
      await guarded(context, async () => {
        const { store, close } = await openStore(url, archiveConnection(flags));
        try {
          const { restore } = await import('@nori/archive');
          const report = await context.withProgress(flags, 'restore', (onProgress) => {
            const restoreOptions: RestoreOptions = { store, prefix: url.prefix, dir, to: flags.to, toTime: flags.toTime, generation: flags.generation };
            if (onProgress !== undefined) restoreOptions.onProgress = (p) => onProgress(p.bytes, p.bytesTotal);
            return restore(restoreOptions);
          });
          await context.stdout.write(
            flags.json === true ? `${JSON.stringify({ archive: urlText, dir, ...report }, null, 2)}\n` : formatRestoreReport(urlText, dir, report),
          );
          context.setExit(ExitCode.OK);
        } finally {
          close();
        }
      });
    },
  };
}

function archiveListCommand(context: ArchiveCommandContext): CommandSpec {
  return {
    name: 'archive-list',
    summary: 'list the generations of an S3 archive: positions, times, sizes',
    description:
      'List the generations of the archive under s3://bucket/prefix with their seq ranges, positions, shipping times, sizes and missing chunks. Read-only.',
    arguments: [URL_ARGUMENT],
    options: CONNECTION_OPTIONS,
    helpAfter: [CONNECTION_HELP, '\nExample:\n  nori-wal archive-list s3://backups/app --json | jq .generations'],
    run: async ([urlText = ''], flags: ConnectionFlags) => {
      const url = parseArchiveUrl(urlText);
      await guarded(context, async () => {
        const { store, close } = await openStore(url, archiveConnection(flags));
        try {
          const { listGenerations } = await import('@nori/archive');
          const catalog = await listGenerations({ store, prefix: url.prefix });
          await context.stdout.write(
            flags.json === true ? `${JSON.stringify(archiveListToJson(urlText, catalog), null, 2)}\n` : formatArchiveList(urlText, catalog),
          );
          context.setExit(ExitCode.OK);
        } finally {
          close();
        }
      });
    },
  };
}
