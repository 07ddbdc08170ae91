// Entry point: the program with the real stdout, stderr and environment (host/), and its exit code.
// The one place outside src/host/ that touches `process` (src/host/index.ts lists it).
import { main } from './cli/program.js';
import { fdWriter, stdoutWriter } from './host/output.js';

process.exitCode = await main(process.argv, { out: stdoutWriter(), err: fdWriter(2), env: (n) => process.env[n] });
