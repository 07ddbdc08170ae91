// The machine as the fleet service and the fleet commands see it: files, watches, timers, signals and
// the etcd connection from the config's paths.
import fs from 'node:fs';
import type { FleetConfig } from '../fleet/config.js';
import type { EtcdPort } from '../fleet/port.js';
import type { ServiceIo } from '../fleet/service.js';
import { readTrusted, writeFileAtomic } from './atomic.js';
import { connectEtcd } from './etcd.js';
import { FileWatch } from './watch.js';
import { system } from './system.js';

export function serviceIo(version: string, onWatchError: (e: unknown) => void): ServiceIo {
  return {
    timers: { now: system.now, after: (ms, fn) => system.setTimer(fn, ms) },
    pid: process.pid,
    version,
    writeFile: writeFileAtomic,
    readOwn: readText,
    readTrusted,
    watch: (path, onEvent) => new FileWatch(path, onEvent, onWatchError),
  };
}

/** Reads the TLS files named in the config; throws with the path when one cannot be read. */
export function connectFleet(cfg: FleetConfig, opts: { ownConnections?: boolean } = {}): EtcdPort {
  const read = (p: string | null) => {
    if (p === null) return null;
    try {
      return fs.readFileSync(p);
    } catch (e) {
      throw new Error(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  };
  return connectEtcd({ endpoints: cfg.endpoints, ca: read(cfg.ca), cert: read(cfg.cert), key: read(cfg.key), ...opts });
}

/** Resolves on the first SIGTERM or SIGINT; SIGHUP is logged and otherwise ignored. */
export function stopSignal(onHup: () => void): Promise<NodeJS.Signals> {
  process.on('SIGHUP', onHup);
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

export function readText(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
