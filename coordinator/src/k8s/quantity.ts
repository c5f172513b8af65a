/**
 * Kubernetes resource quantities (`250m`, `12345678n`, `1.5Gi`, `1e3`) as numbers. Used by
 * executor-pod-status.ts to turn metrics.k8s.io usage into CPU millicores and memory bytes for
 * `kindling executors`. Scaling by a negative power of ten divides instead of multiplying, so
 * `250m` is exactly 250 millicores and `12345678n` exactly 12.345678.
 */
import { KindlingError } from '@kindling/shared';

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E)?)$/;

/**
 * Parses a quantity and returns it in units of 10^unitExponent of its base unit
 * (0 = cores or bytes, -3 = millicores). Throws KindlingError E_INVALID_VALUE naming `what`.
 */
export function parseQuantity(text: string, unitExponent = 0, what = 'quantity'): number {
  const m = QUANTITY.exec(text.trim());
  if (!m) throw new KindlingError('E_INVALID_VALUE', `invalid Kubernetes quantity "${text}" for ${what}`, { value: text, what });
  const mantissa = Number(m[1]);
  if (m[2] !== undefined) return scale(mantissa * 1024 ** BINARY[m[2]]!, -unitExponent);
  const exponent = m[3] !== undefined ? Number(m[3].slice(1)) : DECIMAL[m[4] ?? '']!;
  return scale(mantissa, exponent - unitExponent);
}

/** CPU quantity → millicores (`"250m"` → 250, `"1"` → 1000, `"12345678n"` → 12.345678). */
export function cpuMillicores(text: string): number {
  return parseQuantity(text, -3, 'CPU');
}

/** Memory quantity → bytes (`"64Mi"` → 67108864, `"1G"` → 1e9). */
export function memoryBytes(text: string): number {
  return parseQuantity(text, 0, 'memory');
}

function scale(value: number, exponent: number): number {
  return exponent >= 0 ? value * 10 ** exponent : value / 10 ** -exponent;
}
