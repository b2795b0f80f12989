import pkg from '../package.json' with { type: 'json' };

/** The `@nori/cli` version (`nori-wal --version`). */
export const VERSION: string = pkg.version;
