#!/usr/bin/env node
// Entry point: the TypeScript sources are compiled to dist/ by `npm ci` (the `prepare` script).
import { main } from '../dist/cli/main.js';

// A reader that stops early (`flotilla plan | head`) closes the pipe: stop quietly with git's exit
// status for it (128 + SIGPIPE), not with an unhandled EPIPE's stack trace.
const SIGPIPE_EXIT = 141;
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(SIGPIPE_EXIT);
});

process.exitCode = await main(process.argv.slice(2));
