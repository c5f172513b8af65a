/**
 * Paths the cross-package tests share: the repository root, the example job and data, and
 * the built CLI. Tests run from compiled JS in test/dist/src/…, so paths are resolved from
 * this file's location rather than the working directory.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** Repository root. */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
export const bankCsv = resolve(repoRoot, 'examples/data/bank.csv');
export const bankJob = resolve(repoRoot, 'examples/bank-lr.yaml');
export const cliMain = resolve(repoRoot, 'cli/dist/src/main.js');
