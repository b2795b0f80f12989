/**
 * `@nori/cli`: the `nori-wal` operator tool (inspect, dump, verify, repair, restore, archive-list) and its
 * programmatic API. Every command is also a function: `inspectWal`, `dumpWal`, `verifyWal`,
 * `repairWal`, plus the formatters the CLI prints with.
 *
 * @packageDocumentation
 */
export { ExitCode, NoriCliError, type NoriCliErrorCode } from './errors.js';
export {
  encodeBinary,
  formatBytesSafe,
  formatCount,
  formatDuration,
  formatPosition,
  formatSize,
  formatTable,
  parseByteSize,
  parseCount,
  parsePosition,
  printableUtf8,
  SIZE_UNITS,
  toHex,
  type BinaryEncoding,
  type LogPosition,
} from './format.js';
export { readLockHolder, readWalDirectory, type LockHolder, type SegmentFile, type SideFile, type WalDirectory } from './wal-dir.js';
export { describeSalvaged, describeSalvagedSpan, parseSalvaged, readSalvaged, SALVAGED_FILE, type SalvagedRegion, type SalvagedSpan } from './salvaged.js';
export {
  scanLog,
  scanSegment,
  type Damage,
  type DamageReason,
  type LogScan,
  type LogTail,
  type RecordVisitor,
  type ScanOptions,
  type SegmentScan,
  type SegmentTrailer,
} from './scan.js';
export {
  describeDamage,
  describeLock,
  describeMissing,
  describeTail,
  formatInspectReport,
  inspectReportToJson,
  inspectWal,
  type InspectOptions,
  type InspectReport,
} from './commands/inspect.js';
export {
  DEFAULT_DUMP_WIDTH,
  describeGone,
  describeSkipped,
  describeSkippedSalvaged,
  dumpWal,
  formatRecordLine,
  recordToJsonLine,
  type DumpedRecord,
  type DumpOptions,
  type DumpSink,
  type DumpSummary,
} from './commands/dump.js';
export {
  describePreview,
  formatVerifyReport,
  verifyReportToJson,
  verifyWal,
  type RecoveryPreview,
  type VerifyOptions,
  type VerifyReport,
  type VerifyStatus,
} from './commands/verify.js';
export {
  describeRepairRisk,
  formatRepairReport,
  planRepair,
  REPAIR_MODES,
  repairReportToJson,
  repairWal,
  type RepairMode,
  type RepairOptions,
  type RepairPlan,
  type RepairReport,
  type SalvageRecord,
} from './commands/repair.js';
export { PROGRESS_THRESHOLD_BYTES, shouldShowProgress, startProgress, type Progress, type ProgressDecision } from './progress.js';
export { Output, type OutputStream } from './output.js';
export {
  archiveConnection,
  archiveListToJson,
  formatArchiveList,
  formatRestoreReport,
  parseArchiveUrl,
  type ArchiveConnection,
  type ArchiveUrl,
} from './commands/archive.js';
export { runCli, type CliIo } from './run.js';
export { VERSION } from './version.js';
