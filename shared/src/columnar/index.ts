export * from './schema.js';
export * from './shared-arrays.js';
export * from './string-dictionary.js';
export * from './column-batch.js';
export * from './design-block.js';
