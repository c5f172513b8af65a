/**
 * Spark-compatibility building blocks: Scala's Murmur3 bytesHash, Spark's XORShiftRandom, the
 * randomSplit bounds and per-row assignment, and Spark's row order for the pre-split sort.
 * Pure functions; the `compat: spark-2.3 | spark-3.2` split mode composes them.
 */
export { ARRAY_SEED, bytesHash } from './murmur3.js';
export * from './xorshift-random.js';
export * from './spark-random-split.js';
export * from './spark-row-order.js';
