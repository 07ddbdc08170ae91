// moshwarden fleet: the fleet service in the foreground; moshwarden fleet status: what it last wrote.
import { startFleetService } from '../fleet/service.js';
import { parseStatus, statusText } from '../fleet/status.js';
import { readText, serviceIo, stopSignal } from '../host/fleet-io.js';
import { system } from '../host/system.js';
import { createLogger } from '../log/logger.js';
import type { Writer as OutWriter } from '../host/output.js';
import { self } from '../host/process.js';
import { CliExit } from './config-path.js';
import { connectOrExit, loadFleetOrExit, type Writer } from './fleet-config.js';
import { version } from '../host/version.js';

export async function runFleet(configPath: string, stdout: OutWriter): Promise<void> {
  const { policy, fleet } = await loadFleetOrExit(configPath);
  const log = createLogger({ level: policy.log.level, out: stdout, journald: Boolean(self.env('JOURNAL_STREAM')) });
  const port = connectOrExit(fleet);
  const signal = stopSignal(() =>
    log.info({ event: 'fleet.hup' }, 'SIGHUP: nothing to reopen; restart the service to apply config changes'),
  );
  log.info(
    {
      event: 'fleet.start',
      host: fleet.host,
      endpoint: port.endpoint,
      prefix: fleet.prefix,
      revocation_file: fleet.revocationFile,
      sessions_file: fleet.sessionsFile,
      status_file: fleet.statusFile,
    },
    'fleet service starting',
  );
  const svc = startFleetService(
    fleet,
    port,
    log,
    serviceIo(version(), (e) => log.warn({ event: 'fleet.error', message: String(e) }, 'watch failed')),
  );
  const first = await Promise.race([
    signal.then((sig) => ({ sig })),
    svc.done.then(
      () => ({ error: new Error('the sync loop ended by itself') as unknown }),
      (e: unknown) => ({ error: e }),
    ),
  ]);
  if ('error' in first) {
    log.fatal({ event: 'fleet.error', message: String(first.error) }, 'fleet service failed');
    throw new CliExit(1, `fleet service failed: ${String(first.error)}`);
  }
  await svc.stop();
  log.info({ event: 'fleet.stop', signal: first.sig, revision: svc.list.revision() }, 'fleet service stopped');
}

/** Exit 0 when the service is running and in contact with etcd, 1 otherwise (for monitoring). */
export async function fleetStatus(configPath: string, json: boolean, out: Writer): Promise<void> {
  const { fleet } = await loadFleetOrExit(configPath);
  let text: string | null;
  try {
    text = readText(fleet.statusFile);
  } catch (e) {
    throw new CliExit(1, `cannot read ${fleet.statusFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (text === null) throw new CliExit(1, `${fleet.statusFile} does not exist: the fleet service has not run here`);
  const s = parseStatus(text);
  if (s === null) throw new CliExit(1, `${fleet.statusFile} is not a fleet status file`);
  const now = system.now();
  const contactAge = s.last_contact === null ? null : Math.max(0, (now - Date.parse(s.last_contact)) / 1000);
  const stale = now - Date.parse(s.written_at) > 10_000;
  out.write(
    json ? JSON.stringify({ ...s, contact_age_seconds: contactAge, stale }, null, 2) + '\n' : statusText(s, now),
  );
  if (stale || s.state !== 'connected')
    throw new CliExit(1, stale ? 'the fleet service is not running' : `fleet state: ${s.state}`);
}
