/**
 * Dictionary of a string column within one partition: the distinct values as UTF-8 bytes,
 * concatenated, with offsets. Kept as typed arrays (not JS strings) so a whole partition is
 * a handful of SharedArrayBuffers and crosses threads without copying.
 */
export interface StringDictionary {
  /** Number of distinct values. */
  readonly size: number;
  /** size + 1 offsets into `bytes`; value i is bytes[offsets[i], offsets[i+1]). */
  readonly offsets: Int32Array;
  /** UTF-8 bytes of all values, in code order. */
  readonly bytes: Uint8Array;
}

const decoder = new TextDecoder('utf-8');

/** The value of one dictionary code. */
export function dictionaryValue(dict: StringDictionary, code: number): string {
  return decoder.decode(dict.bytes.slice(dict.offsets[code]!, dict.offsets[code + 1]!));
}

/** All values of a dictionary, in code order. */
export function dictionaryValues(dict: StringDictionary): string[] {
  const out = new Array<string>(dict.size);
  for (let i = 0; i < dict.size; i++) out[i] = dictionaryValue(dict, i);
  return out;
}

/** Builds a dictionary from JS strings (tests, small data). */
export function dictionaryFromValues(values: readonly string[]): StringDictionary {
  const enc = new TextEncoder();
  const parts = values.map((v) => enc.encode(v));
  const total = parts.reduce((a, p) => a + p.length, 0);
  const bytes = new Uint8Array(new SharedArrayBuffer(total));
  const offsets = new Int32Array(new SharedArrayBuffer((values.length + 1) * 4));
  let at = 0;
  parts.forEach((p, i) => {
    offsets[i] = at;
    bytes.set(p, at);
    at += p.length;
  });
  offsets[values.length] = at;
  return { size: values.length, offsets, bytes };
}
