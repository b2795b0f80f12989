import type { OpenOptions, Storage, StorageFile } from '@nori/storage';
import { GatedStorage } from './gated-storage.js';

/** Replaces operations of the files a test cares about (e.g. a failing truncate, a held fsync). */
export type FileHook = (name: string, file: StorageFile) => StorageFile;

/** A storage whose opened files pass through `hook` (files are plain objects: spread and override). */
export class HookedStorage extends GatedStorage {
  constructor(
    inner: Storage,
    private readonly hook: FileHook,
  ) {
    super(inner, () => true);
  }

  override async open(name: string, options?: OpenOptions): Promise<StorageFile> {
    return this.hook(name, await super.open(name, options));
  }
}
