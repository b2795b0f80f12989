/** Largest accepted `maxRecordSize` (a record is read into one buffer). */
export const MAX_RECORD_SIZE_LIMIT = 1024 * 1024 * 1024;
