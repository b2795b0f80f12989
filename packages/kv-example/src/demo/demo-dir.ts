import fs from 'node:fs/promises';
import path from 'node:path';
import { KvError, errorCode } from '../errors.js';
import { DEMO_MARKER_FILE } from './settings.js';

/**
 * Makes `dir` an empty demo store directory: creates it, or wipes it when it is empty or was
 * created by an earlier demo run (it holds the marker file). Any other non-empty directory is
 * refused, so the demo can never delete a real store.
 */
export async function prepareDemoDir(dir: string): Promise<'created' | 'reset'> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw new KvError('ERR_BAD_DIR', `cannot use ${dir}: ${(error as Error).message}`, { cause: error });
  }
  let outcome: 'created' | 'reset' = 'created';
  if (stat !== undefined) {
    if (!stat.isDirectory()) throw new KvError('ERR_BAD_DIR', `${dir} is not a directory`);
    const names = await fs.readdir(dir);
    if (names.length > 0 && !names.includes(DEMO_MARKER_FILE)) {
      throw new KvError('ERR_BAD_DIR', `${dir} is not empty and was not created by the demo; refusing to overwrite it (pick another --dir)`);
    }
    await fs.rm(dir, { recursive: true, force: true });
    outcome = 'reset';
  }
  try {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, DEMO_MARKER_FILE), 'Created by `nori-kv demo`; the next demo run wipes this directory.\n');
  } catch (error) {
    throw new KvError('ERR_BAD_DIR', `cannot create ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return outcome;
}
