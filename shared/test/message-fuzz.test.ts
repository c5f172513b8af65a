/**
 * Fuzzing the wire contract (fast-check, fixed seeds, bounded runs): every message an executor
 * or a driver can receive goes through decodeMessage → parseMessage, so whatever arrives —
 * a valid message with one field changed to anything, a field removed or added, its encoding
 * with bytes flipped or cut, or random bytes — must either parse or be refused with
 * E_BAD_MESSAGE / E_PROTOCOL_VERSION and a message that names the message type. Anything else
 * (a TypeError from a validator, a RangeError from the decoder) would crash a listener.
 */
import fc from 'fast-check';
import t from 'tap';
import { decodeMessage, encodeMessage } from '../src/codec.js';
import { KindlingError } from '../src/errors.js';
import { parseMessage } from '../src/protocol.js';
import { sampleMessages } from './message-fixtures.js';

const REFUSALS = new Set(['E_BAD_MESSAGE', 'E_PROTOCOL_VERSION']);

/** Runs `fn`: 'parsed', 'refused' (a refusal with a readable message), or throws what else it threw. */
function parseOrRefusal(fn: () => unknown): 'parsed' | 'refused' {
  try {
    fn();
    return 'parsed';
  } catch (err) {
    if (err instanceof KindlingError && REFUSALS.has(err.code) && err.message.length > 0 && !err.message.includes('[object Object]'))
      return 'refused';
    throw new Error(
      `not a refusal: ${err instanceof Error ? `${err.name} ${(err as { code?: string }).code ?? ''}: ${err.message}` : String(err)}`,
    );
  }
}

/** Any value a peer could put in a field, typed arrays and deep structures included. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    maxDepth: 3,
    withTypedArray: true,
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
  }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, -1, 1e308, '', 'x'.repeat(10_000)),
  fc.float64Array({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 8 }),
);

/** The object paths of a value (objects and arrays, not typed arrays), depth-first. */
function paths(v: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return out;
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    paths(x, [...prefix, k], out);
  }
  return out;
}

/** A structural copy of `v` with the value at `path` replaced (or deleted when `value` is the DELETE marker). */
const DELETE = Symbol('delete');
function withValue(v: unknown, path: ReadonlyArray<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...Array<string | number>];
  const copy = (Array.isArray(v) ? [...(v as unknown[])] : { ...(v as object) }) as Record<string | number, unknown>;
  const next = withValue(copy[head], rest, value);
  if (next === DELETE) delete copy[head];
  else copy[head] = next;
  return copy;
}

const message = fc.constantFrom(...sampleMessages);

t.test('message fuzz: one field of a valid message set to anything, removed, or an extra field added', async (t) => {
  const mutation = message.chain((m) => {
    const ps = paths(m);
    return fc.record({
      m: fc.constant(m),
      path: fc.constantFrom(...ps),
      value: fc.oneof({ weight: 5, arbitrary: anyValue }, { weight: 1, arbitrary: fc.constant<unknown>(DELETE) }),
      extra: fc.option(fc.tuple(fc.string({ maxLength: 12 }), anyValue), { nil: undefined }),
    });
  });
  let parsed = 0;
  let refused = 0;
  fc.assert(
    fc.property(mutation, ({ m, path, value, extra }) => {
      let mutated = withValue(m, path, value) as Record<string, unknown>;
      if (extra) mutated = { ...mutated, [extra[0]]: extra[1] };
      if (parseOrRefusal(() => parseMessage(mutated)) === 'parsed') parsed++;
      else refused++;
    }),
    { seed: 20261203, numRuns: 3000 },
  );
  t.ok(refused > 0 && parsed > 0, `both outcomes occur (${parsed} parsed, ${refused} refused)`);
});

t.test('message fuzz: encoded bytes flipped, cut, or replaced by random bytes', async (t) => {
  const encoded = sampleMessages.map((m) => encodeMessage(m));
  const damaged = fc.oneof(
    // Flip a few bytes of a real encoding.
    fc
      .record({
        i: fc.nat({ max: encoded.length - 1 }),
        flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      })
      .map(({ i, flips }) => {
        const b = Uint8Array.from(encoded[i]!);
        for (const [at, x] of flips) b[at % b.length]! ^= x;
        return b;
      }),
    // Cut a real encoding short.
    fc.record({ i: fc.nat({ max: encoded.length - 1 }), keep: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ i, keep }) => {
      const b = encoded[i]!;
      return b.subarray(0, Math.floor(b.length * keep));
    }),
    // Anything at all.
    fc.uint8Array({ maxLength: 512 }),
  );
  fc.assert(
    fc.property(damaged, (bytes) => {
      parseOrRefusal(() => decodeMessage(bytes));
    }),
    { seed: 20261204, numRuns: 3000 },
  );
  t.pass('every damaged encoding parsed or was refused with E_BAD_MESSAGE / E_PROTOCOL_VERSION');
});
