// The daemon's signals. SIGHUP reloads (and reopens the audit file), SIGTERM and SIGINT stop.
// Signals that arrive while the daemon is still starting are kept and replayed once it is ready:
// SIGHUP's default action would kill it, and a reload right after a start is common.
import { onSignals, type StopSignal } from '../host/process.js';

export type SignalHandlers = Record<StopSignal, () => void>;

export function earlySignals(): { ready(handlers: SignalHandlers): void } {
  const pending: StopSignal[] = [];
  let handlers: SignalHandlers | null = null;
  onSignals((sig) => (handlers ? handlers[sig]() : pending.push(sig)));
  return {
    ready(h) {
      handlers = h;
      for (const sig of pending.splice(0)) h[sig]();
    },
  };
}
