#!/usr/bin/env node
/**
 * The `kindling` executable as `node cli/dist/src/main.js` (the container's entry point; the
 * npm bin is cli/bin/kindling.js, which calls runCli the same way). Runs the CLI and exits
 * with its code: 0 ok, 1 job failure, 2 usage or job-spec error. stdout and stderr are
 * synchronous on Linux files, pipes and terminals, so exiting at once loses no output.
 */
import { runCli } from './run-cli.js';

process.exit(await runCli(process.argv.slice(2)));
