/**
 * Helpers of the transport tests: a logger that records lines, and polling for a condition.
 * test/src/integration/nats-transport.test.ts loads them too (test/src/harness/shared-fixtures.ts).
 */
import { KindlingError } from '../../src/errors.js';
import type { TransportLogger } from '../../src/transport/nats-transport.js';

/** A logger that keeps every line. */
export function collectingLogger(): TransportLogger & { lines: { msg: string; obj: Record<string, unknown> }[] } {
  const lines: { msg: string; obj: Record<string, unknown> }[] = [];
  return {
    lines,
    warn(obj, msg) {
      lines.push({ msg, obj: { ...obj } });
    },
    info(obj, msg) {
      lines.push({ msg, obj: { ...obj } });
    },
  };
}

/** Resolves once `cond` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new KindlingError('E_INTERNAL', `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
