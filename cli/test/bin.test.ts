/**
 * The npm bins as a user runs them: `npx kindling …` and `npx kindling-executor …` from the
 * repository root, through the links npm made at install time (CI runs this in a fresh
 * clone after `npm ci && npm run build`), and the shims' message when the build is missing.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const SHIMS = { kindling: join(repoRoot, 'cli/bin/kindling.js'), 'kindling-executor': join(repoRoot, 'executor/bin/kindling-executor.js') };

function npx(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('npx', ['--no-install', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    // No "new npm version" notice on stderr; no KINDLING_* settings of the test run.
    env: { ...withoutKindlingVariables(), npm_config_update_notifier: 'false' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withoutKindlingVariables(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KINDLING_') && k !== 'POD_NAME'));
}

t.test('bin: npx kindling --version prints the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'cli/package.json'), 'utf8')) as { version: string };
  const r = npx('kindling', '--version');
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, `${pkg.version}\n`);
  t.equal(r.stderr, '');
});

t.test('bin: npx kindling passes arguments and exit codes through', async (t) => {
  const help = npx('kindling', '--help');
  t.equal(help.code, 0, help.stderr);
  t.match(help.stdout, /^Usage: kindling \[options\] \[command\]/);
  const typo = npx('kindling', 'sumbit', 'job.yaml');
  t.equal(typo.code, 2);
  t.equal(typo.stderr, "kindling: error: unknown command 'sumbit' (Did you mean submit?)\n");
});

t.test('bin: npx kindling-executor --help prints the executor usage; a bad flag exits 2', async (t) => {
  const help = npx('kindling-executor', '--help');
  t.equal(help.code, 0, help.stderr);
  t.match(help.stdout, /^Usage: kindling executor --master nats:\/\/host:4222/);
  t.match(help.stdout, /--master <urls>/);
  t.equal(help.stderr, '');
  const bad = npx('kindling-executor', '--master', 'nats://h:1', '--cores', 'lots');
  t.equal(bad.code, 2);
  t.equal(bad.stderr, 'kindling executor: error: --cores: "lots" is not a whole number\n');
});

t.test('bin: the shims are executable node scripts', async (t) => {
  for (const [name, file] of Object.entries(SHIMS)) {
    t.match(readFileSync(file, 'utf8'), /^#!\/usr\/bin\/env node\n/, name);
    t.doesNotThrow(() => accessSync(file, constants.X_OK), `${name} is executable`);
  }
});

t.test('bin: before the build, a shim says to run npm run build', async (t) => {
  const dir = t.testdir();
  for (const [name, file] of Object.entries(SHIMS)) {
    // The shim in a package folder without dist/, as right after npm ci.
    mkdirSync(join(dir, name, 'bin'), { recursive: true });
    writeFileSync(join(dir, name, 'package.json'), JSON.stringify({ type: 'module' }));
    const shim = join(dir, name, 'bin', `${name}.js`);
    copyFileSync(file, shim);
    const r = spawnSync(process.execPath, [shim, '--help'], { encoding: 'utf8' });
    t.equal(r.status, 1, name);
    t.equal(r.stdout, '', name);
    t.match(
      r.stderr,
      new RegExp(
        `^${name}: error: the .* is not built \\(.*/dist/src/[a-z-]+\\.js is missing\\); run \`npm run build\` at the repository root\\n$`,
      ),
      name,
    );
  }
});
