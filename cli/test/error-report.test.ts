import t from 'tap';
import { JobSpecError, KindlingError, OutputError } from '@kindling/shared';
import { errorLine, errorStack, exitCodeFor } from '../src/error-report.js';

t.test('error-report: prints one line with the code in brackets', async (t) => {
  t.equal(
    errorLine(new JobSpecError('job.yaml: model.maxIter: expected a positive integer, got "ten"', 'model.maxIter')),
    'kindling: error: job.yaml: model.maxIter: expected a positive integer, got "ten" [E_JOB_SPEC]',
  );
  t.equal(errorLine(new OutputError('out/x already exists', 'out/x')), 'kindling: error: out/x already exists [E_OUTPUT]');
  t.equal(
    errorLine(new KindlingError('E_CSV_MALFORMED', 'bank.csv:12:\n  unclosed quote')),
    'kindling: error: bank.csv:12: unclosed quote [E_CSV_MALFORMED]',
  );
  const io = Object.assign(new Error("ENOENT: no such file or directory, open 'x.csv'"), { code: 'ENOENT' });
  t.equal(errorLine(io), "kindling: error: ENOENT: no such file or directory, open 'x.csv' [E_IO]");
  t.equal(errorLine(new TypeError('boom')), 'kindling: error: boom [E_INTERNAL]');
  t.equal(errorLine('plain'), 'kindling: error: plain [E_INTERNAL]');
});

t.test('error-report: exits 2 for setup and spec errors, 1 for job failures', async (t) => {
  t.equal(exitCodeFor(new KindlingError('E_INVALID_VALUE', 'bad --master'), 'setup'), 2);
  t.equal(exitCodeFor(new JobSpecError('label not in file', 'pipeline.label'), 'run'), 2);
  t.equal(exitCodeFor(new KindlingError('E_TASK_FAILED', 'task failed'), 'run'), 1);
  t.equal(exitCodeFor(new Error('crash'), 'run'), 1);
});

t.test('error-report: includes the causes in the debug stack', async (t) => {
  const err = new KindlingError('E_OUTPUT', 'cannot write', {}, { cause: new Error('EACCES') });
  const stack = errorStack(err);
  t.match(stack, /^KindlingError: cannot write\n\s+at /);
  t.match(stack, /\nCaused by: Error: EACCES\n/);
});
