import packageJson from '../../package.json' with { type: 'json' };

/** The package version, shown by `nori-kv --version`. */
export const version: string = packageJson.version;
