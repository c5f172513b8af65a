/**
 * Byte sizes as people write them: `512m`, `2g`, `1.5Gi`, `1048576` — the parser of memory
 * budgets (`kindling executor --memory`, KINDLING_EXECUTOR_MEMORY, the job spec's
 * `executor.memory`). Every unit is binary whatever its spelling (`2g` = `2G` = `2GB` =
 * `2Gi` = 2 GiB), as Spark reads `spark.executor.memory` and as the job spec reads
 * `maxPartitionBytes`; a budget a few percent smaller than a decimal reading is the safe
 * side. The StatefulSet hands the container limit over in plain bytes (downward API), so
 * Kubernetes' decimal `G` never reaches this parser. Pure; used by executor/src/config.ts and
 * the job-spec parser's `executor` section.
 */
import { KindlingError } from './errors.js';

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  ki: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size into a whole number of bytes (rounded down). Throws KindlingError
 * E_INVALID_VALUE naming `what` (a flag, a variable, a spec field) and the text.
 */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  const scale = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || scale === undefined) {
    throw new KindlingError(
      'E_INVALID_VALUE',
      `${what}: "${text}" is not a byte size; expected a number of bytes or one with a unit, e.g. 512m, 2g, 1536Mi (units are binary: 1k = 1024)`,
      { what, value: text },
    );
  }
  const bytes = Math.floor(Number(m[1]) * scale);
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new KindlingError('E_INVALID_VALUE', `${what}: "${text}" is out of range (1 byte to 8 PiB)`, { what, value: text });
  return bytes;
}

/** A byte count for people: `1.5 GiB`, `12.0 MiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[i]}`;
}
