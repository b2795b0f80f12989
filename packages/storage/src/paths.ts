import { StorageError } from './errors.js';

/**
 * Checks a storage-relative name: `/`-separated, no empty, `.` or `..` segments, not absolute, no
 * backslashes or NUL bytes. Returns the name unchanged; throws `ERR_INVALID_PATH` otherwise.
 */
export function validateName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new StorageError('ERR_INVALID_PATH', `${what} must be a non-empty string`, { path: String(name) });
  }
  const reject = (why: string): never => {
    throw new StorageError('ERR_INVALID_PATH', `${what} ${JSON.stringify(name)} ${why}`, { path: name });
  };
  if (name.includes('\0')) reject('contains a NUL byte');
  if (name.includes('\\')) reject('contains a backslash (use "/")');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) reject('is absolute');
  for (const segment of name.split('/')) {
    if (segment === '') reject('has an empty segment');
    if (segment === '.' || segment === '..') reject(`has a "${segment}" segment`);
  }
  return name;
}

/** Like {@link validateName}, but `undefined` means the storage root (returned as `''`). */
export function validateDir(dir: unknown): string {
  return dir === undefined ? '' : validateName(dir, 'directory');
}

/** The directory part of a validated name (`''` for the root). */
export function parentOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/** The last segment of a validated name. */
export function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** True for root-level names the writer lock uses (`LOCK`, `LOCK.tmp-*`, `LOCK.takeover-*`). */
export function isLockName(name: string): boolean {
  return name === 'LOCK' || name.startsWith('LOCK.tmp-') || name.startsWith('LOCK.takeover-');
}

/**
 * {@link validateName} for names a caller may create, open, rename or remove: additionally
 * refuses the lock's own files with `ERR_INVALID_PATH`, so no caller can damage the lock.
 */
export function validateFileName(name: unknown, what = 'name'): string {
  const valid = validateName(name, what);
  if (isLockName(valid)) {
    throw new StorageError('ERR_INVALID_PATH', `${what} ${JSON.stringify(valid)} is reserved for the storage lock`, { path: valid });
  }
  return valid;
}
