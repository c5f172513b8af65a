/**
 * Fuzzing `kindling submit` end to end, in-process (fast-check, fixed seed, bounded runs):
 * the bank job with random `--conf` pairs and random values for the flags a user types most
 * (--master, --executor-wait, --ui-linger, --log-level, --name) either runs (exit 0, a
 * committed output folder) or fails with one clear line — exit 2 for a usage or job-spec
 * error, 1 for a data or model error — never E_INTERNAL, a stack trace, or a half-written
 * output folder.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t from 'tap';
import { runCli } from '../src/run-cli.js';

const repo = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const bankJob = join(repo, 'examples/bank-lr.yaml');

const confPair = fc.oneof(
  fc.tuple(
    fc.constantFrom('model.maxIter', 'model.regParam', 'model.elasticNetParam', 'model.tol', 'model.threshold', 'model.family'),
    fc.oneof(fc.constantFrom('0', '1', '3', '-1', '0.5', '2', 'NaN', 'auto', 'multinomial', ''), fc.double().map(String)),
  ),
  fc.tuple(
    fc.constantFrom('pipeline.label', 'pipeline.drop', 'pipeline.categorical', 'pipeline.numeric', 'pipeline.weight'),
    fc.constantFrom('deposit', 'age', 'job', 'nope', '[age, job]', '[]', 'auto', '[deposit]', '~'),
  ),
  fc.tuple(
    fc.constantFrom('split.weights', 'split.seed', 'input.partitions', 'input.delimiter', 'input.header', 'input.mode', 'compat'),
    fc.constantFrom('[0.7, 0.3]', '[1, 0]', '[0, 1]', '[0.5]', '2018', '-3', '1', '64', ';', ',', 'false', 'PERMISSIVE', 'spark-3.2', 'x'),
  ),
  fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 8 })),
);

/** Mostly `good`, sometimes `bad`: a run needs every flag valid, so each is valid most of the time. */
function mostly<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: bad });
}

const flags = fc.record({
  master: mostly(
    fc.constantFrom('local[1]', 'local[2]', 'local[*]', 'local'),
    fc.constantFrom('local[0]', 'local[x]', 'yarn', 'spark://h:7077', ''),
  ),
  conf: fc.array(confPair, { maxLength: 2 }),
  executorWait: fc.option(fc.oneof(fc.integer({ min: -5, max: 100_000 }).map(String), fc.constantFrom('abc', '1e3', '')), {
    nil: undefined,
    freq: 3,
  }),
  linger: fc.option(fc.constantFrom('0', '-1', 'soon', '1.5'), { nil: undefined, freq: 4 }),
  logLevel: mostly(fc.constantFrom('error', 'warn', 'silent'), fc.constant('loud')),
  name: fc.option(fc.constantFrom('bank run', 'ok-name', '../escape', 'a/b', ' '), { nil: undefined, freq: 3 }),
});

t.test('submit fuzz: a run or one clear error line, never an internal error or a half-written folder', async (t) => {
  const dir = t.testdir({});
  let n = 0;
  const seen = { 0: 0, 1: 0, 2: 0 } as Record<number, number>;
  await fc.assert(
    fc.asyncProperty(flags, async (f) => {
      const out = join(dir, `out-${n++}`);
      const argv = [
        'submit',
        '--master',
        f.master,
        '--no-ui',
        '--no-event-log',
        '--no-progress',
        '--log-level',
        f.logLevel,
        '--output',
        out,
      ];
      for (const [k, v] of f.conf) argv.push('--conf', `${k}=${v}`);
      if (f.executorWait !== undefined) argv.push('--executor-wait', f.executorWait);
      if (f.linger !== undefined) argv.push('--ui-linger', f.linger);
      if (f.name !== undefined) argv.push('--name', f.name);
      argv.push(bankJob);
      let stderr = '';
      let stdout = '';
      const code = await runCli(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
      seen[code] = (seen[code] ?? 0) + 1;
      const what = `kindling ${argv.join(' ')} → ${code}: ${stderr.slice(0, 400)}`;
      if (![0, 1, 2].includes(code)) throw new Error(`unexpected exit code: ${what}`);
      if (/E_INTERNAL|\n\s+at \S+ \(/.test(stderr)) throw new Error(`internal error or stack: ${what}`);
      if (code === 0) {
        if (!existsSync(join(out, '_SUCCESS'))) throw new Error(`exit 0 without a committed output folder: ${what}`);
        if (!/areaUnderROC/.test(stdout)) throw new Error(`exit 0 without the metrics table: ${what}`);
      } else {
        if (!/kindling: error: /.test(stderr)) throw new Error(`failure without the one-line error: ${what}`);
        // Nothing that looks like a result: no folder, or one without _SUCCESS (a staging leftover would be a bug too).
        if (existsSync(out)) throw new Error(`a failed run left ${out}: ${readdirSync(out).join(', ')}`);
      }
    }),
    { seed: 20261205, numRuns: 40 },
  );
  t.ok(seen[0]! > 0 && seen[2]! > 0, `runs and usage errors both occur (exit 0: ${seen[0]}, 1: ${seen[1]}, 2: ${seen[2]})`);
  t.same(
    readdirSync(dir).filter((n) => n.startsWith('.')),
    [],
    'no staging folders left beside the outputs',
  );
});
