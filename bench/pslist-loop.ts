// Baseline for the daemon's steady cost: a Node process that does nothing but call ps-list every 5 s,
// the interval the daemon scans at. Started by run.ts; ended by it with SIGTERM.
import psList from 'ps-list';

const INTERVAL_MS = 5_000;

const tick = () => {
  psList().catch((e: unknown) => {
    process.stderr.write(`ps-list failed: ${String(e)}\n`);
    process.exitCode = 1;
  });
};
tick();
setInterval(tick, INTERVAL_MS);
process.once('SIGTERM', () => process.exit());
