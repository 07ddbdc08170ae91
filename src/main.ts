// Entry point: run the CLI and exit with its code.
import { main } from './cli/program.js';

process.exitCode = await main(process.argv);
