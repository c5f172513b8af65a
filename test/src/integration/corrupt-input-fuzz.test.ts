/**
 * Random and damaged bytes as Parquet and gzip input to a local-mode job: seeded byte flips,
 * cuts, spliced and overwritten ranges of a valid file (written by DuckDB and zlib), and
 * random bytes behind the right magic. Each run either succeeds (a flip can leave a valid
 * file) or fails with a KindlingError that names the file — never E_INTERNAL, a TypeError
 * or a hang — and a failed run leaves no output folder that looks complete.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import fc from 'fast-check';
import { DriverContext, EventBus, parseJobSpec, type DriverContext as Driver } from '@kindling/coordinator';
import { LocalExecutor } from '@kindling/executor';
import { KindlingError } from '@kindling/shared';
import { bankCsv } from '../harness/paths.js';
import { duckdb } from '../harness/input-fixtures.js';

const SEED = 20261205;
/** A run that takes longer than this is a hang (a valid run of these files takes under a second here, a few under load). */
const HANG_MS = 60_000;

const dir = mkdtempSync(join(tmpdir(), 'kindling-corrupt-input-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Damage to a valid file, drawn by fast-check. */
type Damage =
  | { kind: 'flip'; at: number[]; xor: number[] }
  | { kind: 'cut'; at: number }
  | { kind: 'overwrite'; at: number; bytes: Uint8Array }
  | { kind: 'splice'; at: number; length: number }
  | { kind: 'random'; bytes: Uint8Array };

/**
 * A position as a fraction of the file. fast-check's numbers lean to the extremes (0, max), which
 * would put most damage on the magic bytes: spread them evenly instead, from a drawn seed.
 */
const position = fc.nat().map((n) => {
  let x = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
});

const damage: fc.Arbitrary<Damage> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('flip' as const),
      at: fc.array(position, { minLength: 1, maxLength: 8 }),
      xor: fc.array(fc.integer({ min: 1, max: 255 }), { minLength: 8, maxLength: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: position }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('overwrite' as const),
      at: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('splice' as const),
      at: position,
      length: fc.integer({ min: 1, max: 4096 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ minLength: 0, maxLength: 2048 }) }) },
);

/** Applies damage; a random file keeps the format's magic so it gets past the first check. */
function apply(valid: Buffer, d: Damage, format: 'parquet' | 'gzip'): Buffer {
  const pos = (u: number) => Math.floor(u * valid.length);
  switch (d.kind) {
    case 'flip': {
      const out = Buffer.from(valid);
      d.at.forEach((u, i) => (out[pos(u)]! ^= d.xor[i]!));
      return out;
    }
    case 'cut':
      return valid.subarray(0, pos(d.at));
    case 'overwrite': {
      const out = Buffer.from(valid);
      out.set(d.bytes.subarray(0, out.length - pos(d.at)), pos(d.at));
      return out;
    }
    case 'splice':
      return Buffer.concat([valid.subarray(0, pos(d.at)), valid.subarray(Math.min(valid.length, pos(d.at) + d.length))]);
    case 'random':
      return format === 'parquet'
        ? Buffer.concat([Buffer.from('PAR1'), d.bytes, Buffer.from('PAR1')])
        : Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), d.bytes]);
  }
}

const describe = (d: Damage) =>
  d.kind === 'flip'
    ? `flip ${d.at.length} byte(s)`
    : d.kind === 'random'
      ? `${d.bytes.length} random bytes`
      : d.kind === 'overwrite'
        ? `overwrite ${d.bytes.length} byte(s)`
        : d.kind === 'splice'
          ? `remove ${d.length} byte(s)`
          : 'cut';

type Outcome = { ok: true } | { ok: false; err: unknown } | { hang: true };

/** One job over `file` on the shared driver: resolves with its outcome, never rejects. */
async function run(driver: Driver, file: string, out: string, format?: 'parquet'): Promise<Outcome> {
  const spec = parseJobSpec(
    {
      name: 'corrupt',
      input: { path: file, ...(format && { format }) },
      pipeline: { label: 'deposit' },
      model: { maxIter: 2 },
      output: { path: out },
    },
    dir,
  );
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((r) => (timer = setTimeout(() => r({ hang: true }), HANG_MS)));
  const job = driver.runJob(spec).then(
    (): Outcome => ({ ok: true }),
    (err: unknown): Outcome => ({ ok: false, err }),
  );
  const outcome = await Promise.race([job, hang]);
  clearTimeout(timer);
  return outcome;
}

t.test('corrupt-input-fuzz: damaged Parquet and gzip inputs fail with a KindlingError naming the file', async (t) => {
  // bank.csv lists the 'yes' rows first: both ends, so the label has two values.
  const lines = readFileSync(bankCsv, 'utf8').trimEnd().split('\n');
  const head = [...lines.slice(0, 401), ...lines.slice(-400)].join('\n') + '\n';
  const csv = join(dir, 'bank-800.csv');
  writeFileSync(csv, head);
  const validGz = gzipSync(Buffer.from(head));
  const parquets: Record<string, Buffer> = {};
  for (const codec of ['snappy', 'uncompressed', 'zstd']) {
    const file = join(dir, `valid-${codec}.parquet`);
    await duckdb(
      `COPY (SELECT * FROM read_csv('${csv}', header = true, auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])) ` +
        `TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 300, COMPRESSION ${codec})`,
    );
    parquets[codec] = readFileSync(file);
  }

  const executor = new LocalExecutor({ threads: 2 });
  const driver = DriverContext.withExecutors([executor], { events: new EventBus(), release: () => executor.close() });
  t.teardown(() => driver.close());

  // The undamaged files run: the damage, not the fixture, is what fails below.
  const valids: Array<[string, Buffer]> = [
    ['valid.csv.gz', validGz],
    ...Object.entries(parquets).map(([c, b]): [string, Buffer] => [`valid-${c}.parquet`, b]),
  ];
  for (const [name, bytes] of valids) {
    writeFileSync(join(dir, name), bytes);
    const o = await run(driver, join(dir, name), join(dir, `out-${name}`));
    t.same(o, { ok: true }, `${name} runs: ${'err' in o ? String((o.err as Error).message) : ''}`);
  }

  const cases = fc.sample(
    fc.record({
      format: fc.constantFrom('parquet' as const, 'gzip' as const),
      codec: fc.constantFrom('snappy', 'uncompressed', 'zstd'),
      damage,
    }),
    { seed: SEED, numRuns: 40 },
  );
  const tally = { succeeded: 0, failed: 0 };
  const codes = new Map<string, number>();
  for (const [i, c] of cases.entries()) {
    const valid = c.format === 'parquet' ? parquets[c.codec]! : validGz;
    const name = `case-${i}${c.format === 'parquet' ? '.parquet' : '.csv.gz'}`;
    const file = join(dir, name);
    writeFileSync(file, apply(valid, c.damage, c.format));
    const out = join(dir, `out-${name}`);
    const what = `${name} (${c.format === 'parquet' ? c.codec : 'gzip'}, ${describe(c.damage)})`;
    const o = await run(driver, file, out);
    if ('hang' in o) {
      t.fail(`${what}: no answer within ${HANG_MS} ms`);
      break;
    }
    if (o.ok) {
      // A flip in a value, padding or unchecked metadata can leave a valid file.
      tally.succeeded++;
      t.ok(existsSync(join(out, '_SUCCESS')), `${what}: a run that succeeds commits its output`);
      continue;
    }
    tally.failed++;
    const err = o.err as { code?: string; message?: string; name?: string };
    codes.set(err.code ?? String(err.name), (codes.get(err.code ?? String(err.name)) ?? 0) + 1);
    const clear =
      o.err instanceof KindlingError && err.code !== 'E_INTERNAL' && err.code !== 'E_TASK_FAILED' && (err.message ?? '').includes(name);
    t.ok(clear, `${what}: ${err.code ?? err.name}: ${String(err.message).slice(0, 300)}`);
    t.notOk(existsSync(out), `${what}: no output folder left`);
  }
  t.ok(
    tally.failed > cases.length / 2,
    `${tally.failed} failed, ${tally.succeeded} still valid; codes ${JSON.stringify(Object.fromEntries(codes))}`,
  );
});
