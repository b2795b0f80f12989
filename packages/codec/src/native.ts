/**
 * Lazy, guarded access to Node-only modules. Nothing here imports `node:*` statically, so the
 * package loads in browsers; in Node (>= 20.16 has `process.getBuiltinModule`) native addons are
 * required on first use, and a missing or broken addon just means "use the pure-JS path".
 */

type RequireFn = (id: string) => unknown;

interface ProcessLike {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

let cachedRequire: RequireFn | null | undefined;
let nativeEnabled = true;
const cache = new Map<string, unknown>();
const loadErrors = new Map<string, unknown>();

function nodeProcess(): ProcessLike | undefined {
  const p = (globalThis as { process?: ProcessLike }).process;
  return p !== undefined && typeof p.versions?.node === 'string' ? p : undefined;
}

/** The running Node.js version, or undefined outside Node. */
export function nodeVersion(): string | undefined {
  return nodeProcess()?.versions?.node;
}

/** A Node built-in (e.g. 'node:zlib'), or undefined outside Node. */
export function nodeBuiltin<T>(id: string): T | undefined {
  const p = nodeProcess();
  if (p === undefined || typeof p.getBuiltinModule !== 'function') return undefined;
  try {
    return p.getBuiltinModule(id) as T | undefined;
  } catch {
    return undefined;
  }
}

function getRequire(): RequireFn | null {
  if (cachedRequire !== undefined) return cachedRequire;
  cachedRequire = null;
  const mod = nodeBuiltin<{ createRequire(from: string | URL): RequireFn }>('node:module');
  if (mod !== undefined) {
    cachedRequire = mod.createRequire(import.meta.url);
  }
  return cachedRequire;
}

/**
 * Loads a package with Node's `require` on first call (cached), or returns undefined where it
 * fails or where there is no `require` (not Node). Loading on first use, not at import, keeps
 * a process that never needs the package from paying for it.
 */
export function requireLazily<T>(id: string): T | undefined {
  if (cache.has(id)) return cache.get(id) as T | undefined;
  let loaded: T | undefined;
  const req = getRequire();
  if (req !== null) {
    try {
      loaded = req(id) as T;
    } catch (error) {
      loadErrors.set(id, error);
      loaded = undefined;
    }
  }
  cache.set(id, loaded);
  return loaded;
}

/** Loads an optional native package, or returns undefined (pure-JS fallback). */
export function loadNative<T>(id: string): T | undefined {
  return nativeEnabled ? requireLazily<T>(id) : undefined;
}

/** Why a package failed to load (for error messages and diagnostics). */
export function nativeLoadError(id: string): unknown {
  return loadErrors.get(id);
}

/**
 * Internal (tests, benchmarks, diagnostics): disable native addons to exercise the pure-JS
 * fallbacks. Returns the previous setting. Implementations are re-selected on their next use.
 */
export function setNativeEnabled(enabled: boolean): boolean {
  const previous = nativeEnabled;
  nativeEnabled = enabled;
  for (const slot of slots) slot.selected = false;
  return previous;
}

/** Whether native addons may be used (see {@link setNativeEnabled}). */
export function isNativeEnabled(): boolean {
  return nativeEnabled;
}

interface BackendSlot {
  select: () => void;
  selected: boolean;
}

const slots: BackendSlot[] = [];

/**
 * Registers `select`, which picks an implementation (loading addons or built-ins), and returns
 * `ensure`: call it before using the implementation. Selection waits for the first use, not for
 * import, because dlopen of three addons and loading node:zlib cost tens of milliseconds of
 * every process's start, most of which never compress anything or CRC a large buffer.
 */
export function onBackendChange(select: () => void): () => void {
  const slot: BackendSlot = { select, selected: false };
  slots.push(slot);
  return () => {
    if (slot.selected) return;
    slot.selected = true;
    select();
  };
}
