export * from './keys.js';
export * from './chunk.js';
export * from './generation.js';
export * from './continuity.js';
