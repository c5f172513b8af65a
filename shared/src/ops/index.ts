export * from './task-op.js';
export * from './registry.js';
