#!/usr/bin/env node
import { main } from './main';

// A reader that has seen enough (`berth create --help | head`) closes the pipe: that is no error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

let settled = false;
// Node exits 0 once nothing is left to wait for, even with the command's promise unsettled (a reply
// that can no longer come): that is a failure, never a success.
process.once('beforeExit', () => {
  if (settled) return;
  process.stderr.write(
    'berth: internal error: the command ended without a result (nothing was left to wait for); check what it did, e.g. with berth ls\n',
  );
  process.exitCode = 1;
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    process.stderr.write(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
