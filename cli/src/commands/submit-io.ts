/**
 * CliIo: where a CLI command writes (results on stdout, everything else on stderr). Every
 * command takes one, so tests can capture both streams. It has a module of its own so that
 * kubernetes.ts, which submit.ts imports, can take a CliIo without importing submit.ts back.
 */
import type { ProgressStream } from '../progress-bar.js';

/** Where the CLI writes: results on stdout, everything else on stderr. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
}
