import type { Storage } from './types.js';

/** Temporary name a side file is written under before it replaces `name`. */
export function tmpNameOf(name: string): string {
  return `${name}.tmp`;
}

/**
 * Replaces side file `name` crash-safely: written to `name.tmp` and fsynced, renamed over the old
 * one, then the directory is fsynced. After a crash at any step the file holds either the old
 * content or the new one, never a mix (a leftover `.tmp` is removed by {@link removeStaleTmp}).
 */
export async function writeFileAtomically(storage: Storage, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = tmpNameOf(name);
  const file = await storage.open(tmp, { create: true });
  try {
    if ((await file.size()) > 0) await file.truncate(0);
    await file.writev([bytes], 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await storage.rename(tmp, name);
  await storage.syncDir();
}

/** Removes side file `name` and makes the removal durable (no-op when it does not exist). */
export async function removeFileDurably(storage: Storage, name: string): Promise<void> {
  if (!(await storage.exists(name))) return;
  await storage.remove(name);
  await storage.syncDir();
}

/** Removes the temporary file a crash during {@link writeFileAtomically} of `name` left. */
export async function removeStaleTmp(storage: Storage, name: string): Promise<void> {
  const tmp = tmpNameOf(name);
  if (await storage.exists(tmp)) await storage.remove(tmp);
}
