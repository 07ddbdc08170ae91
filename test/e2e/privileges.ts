// The daemon's privileges as the shipped unit gives them, for end-to-end tests that run it exactly so:
// its user (a stand-in: mw-test-svc), its groups and its capabilities, through setpriv.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { lookup, repoRoot } from './harness.js';

/**
 * The unit writes warnings through group tty, which works where devpts gives ptys group tty and mode 0620
 * (Debian's default: gid=5,mode=620). Some VMs and containers mount it mode=600; .ci/run remounts it.
 */
export function devptsProblem(ptyPath: string): string | null {
  const st = fs.statSync(ptyPath);
  const tty = Number(lookup('group', 'tty')?.split(':')[2]);
  return st.gid === tty && (st.mode & 0o020) !== 0
    ? null
    : `ptys here are not group-tty writable (${ptyPath}: gid ${st.gid}, mode ${(st.mode & 0o777).toString(8)}): devpts needs gid=5,mode=620`;
}
export const UNIT = path.join(repoRoot(), 'systemd', 'moshwarden.service');
/** Stands in for the unit's User=moshwarden, so a real installation's user is never touched. */
export const SERVICE_USER = 'mw-test-svc';

/** `Key=` values of the shipped unit, in order (a key may appear more than once). */
export function unitValues(key: string): string[] {
  return fs
    .readFileSync(UNIT, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());
}

/** setpriv arguments that give a process the unit's user, groups and capabilities (minus `drop`). */
export function asService(drop: string[] = []): string[] {
  const caps = unitValues('AmbientCapabilities')
    .join(' ')
    .split(/\s+/)
    .filter(Boolean)
    .filter((c) => !drop.includes(c))
    .map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`)
    .join(',');
  assert.deepEqual(
    unitValues('CapabilityBoundingSet'),
    unitValues('AmbientCapabilities'),
    'the unit bounds exactly what it grants',
  );
  const groups = unitValues('SupplementaryGroups').join(',');
  return [
    'setpriv',
    `--reuid=${SERVICE_USER}`,
    `--regid=${SERVICE_USER}`,
    `--groups=${groups}`,
    `--inh-caps=-all${caps ? `,${caps}` : ''}`,
    `--ambient-caps=-all${caps ? `,${caps}` : ''}`,
    `--bounding-set=-all${caps ? `,${caps}` : ''}`,
    '--no-new-privs',
    '--',
  ];
}

export function ensureServiceUser(): void {
  if (lookup('passwd', SERVICE_USER) !== null) return;
  execFileSync('useradd', [
    '--system',
    '--user-group',
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    '/usr/sbin/nologin',
    SERVICE_USER,
  ]);
}
