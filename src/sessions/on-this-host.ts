// Discovery wired to this machine: NSS through getent, the wall and monotonic clocks, sliced reads, the host name.
import { clock, slicer } from '../host/clock.js';
import { createNss } from '../host/nss.js';
import { self } from '../host/process.js';
import { Discovery } from './discover.js';

/** `host` names this machine in session ids (the fleet's `fleet.host`, else the host name). */
export function discoveryOnThisHost(host: string = self.hostname()): Discovery {
  return new Discovery({ nss: createNss(), host, now: clock.now, monotonic: clock.monotonic, slicer: () => slicer() });
}
