#!/usr/bin/env node
/**
 * The `kindling-executor` bin that npm links at install time. The compiled executor (dist/)
 * only exists after `npm run build`, which comes after `npm ci`; npm links no bin whose target
 * is missing, so package.json points here, a committed file, and this loads the build when it
 * runs. It calls runExecutorCli rather than importing main.js, which starts only when it is
 * argv[1] itself (`node executor/dist/src/main.js`, as `kindling cluster up` runs it).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/process.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    `kindling-executor: error: the executor is not built (${fileURLToPath(entry)} is missing); run \`npm run build\` at the repository root\n`,
  );
  process.exit(1);
}
const { runExecutorCli } = await import(entry.href);
process.exit(await runExecutorCli(process.argv.slice(2)));
