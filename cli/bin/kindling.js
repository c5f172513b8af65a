#!/usr/bin/env node
/**
 * The `kindling` bin that npm links at install time. The compiled CLI (dist/) only exists
 * after `npm run build`, which comes after `npm ci`; npm links no bin whose target is missing,
 * so package.json points here, a committed file, and this loads the build when it runs.
 * It calls runCli rather than importing main.js, which would see this file as argv[1].
 * stdout and stderr are synchronous on Linux files, pipes and terminals, so exiting at once
 * loses no output.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/run-cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    `kindling: error: the CLI is not built (${fileURLToPath(entry)} is missing); run \`npm run build\` at the repository root\n`,
  );
  process.exit(1);
}
const { runCli } = await import(entry.href);
process.exit(await runCli(process.argv.slice(2)));
