import type { Storage, StorageFile } from '@nori/storage';

/** Overwrites bytes of a file durably. */
export async function overwrite(storage: Storage, name: string, offset: number, bytes: Uint8Array): Promise<void> {
  const file = await storage.open(name);
  try {
    file.writevSync([bytes], offset);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Flips one byte of a file durably. */
export async function flipByte(storage: Storage, name: string, offset: number): Promise<void> {
  const file = await storage.open(name);
  try {
    const one = new Uint8Array(1);
    await file.read(one, 0, 1, offset);
    one[0] = (one[0] as number) ^ 0xff;
    file.writevSync([one], offset);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Truncates a file durably. */
export async function truncateFile(storage: Storage, name: string, length: number): Promise<void> {
  const file = await storage.open(name);
  try {
    await file.truncate(length);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/** Size of a file. */
export async function fileSize(storage: Storage, name: string): Promise<number> {
  const file = await storage.open(name, { readOnly: true });
  try {
    return await file.size();
  } finally {
    await file.close();
  }
}

/** Replaces the whole content of `name` (created if missing). */
export async function writeAll(storage: Storage, name: string, bytes: Uint8Array): Promise<void> {
  const file = await storage.open(name, { create: true });
  try {
    await file.truncate(0);
    await file.writev([bytes], 0);
    await file.datasync();
  } finally {
    await file.close();
  }
}

/**
 * `inner` with some methods replaced: every other property is read from `inner`, methods bound
 * to it (a wrapper for watching or failing calls).
 */
export function withOverrides(inner: Storage, overrides: Partial<Storage>): Storage {
  return new Proxy(inner, {
    get: (target, prop) => {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof Storage];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Logs `open <name>` now and `close <name>` when `file` is closed, into `events`; returns `file`. */
export function logOpenAndClose(file: StorageFile, name: string, events: string[]): StorageFile {
  events.push(`open ${name}`);
  const close = file.close.bind(file);
  file.close = async () => {
    events.push(`close ${name}`);
    await close();
  };
  return file;
}
