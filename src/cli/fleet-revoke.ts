// revoke --fleet / unrevoke --fleet / revocations --fleet: the fleet-wide list in etcd (`revoked/`).
// What is put is checked the way every host will read it: the value decodes to the entry meant and its
// line reads back as that entry (docs/fleet.md, "Keys").
import type { FleetConfig } from '../fleet/config.js';
import { decodeRevocation, encodeRevocation, MAX_REASON, type FleetEntry } from '../fleet/entries.js';
import { entryLine } from '../fleet/file-format.js';
import { keyLayout, keyTail, revokedKey } from '../fleet/keys.js';
import type { EtcdPort } from '../fleet/port.js';
import { fleetTargetText, parseFleetTarget, sameFleetTarget, type FleetTarget } from '../fleet/target.js';
import { invokingUser } from '../host/identity.js';
import { system } from '../host/system.js';
import { CliExit } from './config-path.js';
import { withEtcd, type Writer } from './fleet-config.js';
import { parseUntil } from './revoke.js';

/** Extra lifetime of an entry's lease past its `until`: etcd deletes lapsed entries, never early. */
const LEASE_MARGIN_S = 60;

function targetOrExit(text: string): FleetTarget {
  const t = parseFleetTarget(text);
  if (typeof t === 'string') throw new CliExit(2, `bad target ${JSON.stringify(text)}: ${t}`);
  return t;
}

/** Puts one revocation; returns the etcd revision it was made at. */
export async function putRevocation(
  port: EtcdPort,
  fleet: FleetConfig,
  target: FleetTarget,
  reason: string | null,
  until: number | null,
  now: number,
): Promise<number> {
  const text = fleetTargetText(target);
  const key = revokedKey(keyLayout(fleet.prefix), text);
  const value = encodeRevocation({
    target: text,
    reason,
    until: until === null ? null : new Date(until).toISOString(),
    by: invokingUser(),
    at: new Date(now).toISOString(),
  });
  const back = decodeRevocation(key, text, value, 0);
  if (!back.ok || entryLine(back.entry) === null || back.entry.reason !== reason || back.entry.until !== until)
    throw new CliExit(
      2,
      `refusing to put a value that does not read back as the entry meant: ${back.ok ? value : back.message}`,
    );
  // An entry that lapses is deleted by etcd a minute after it lapsed (its own lease, not kept alive).
  const ttl = until === null ? null : Math.ceil((until - now) / 1000) + LEASE_MARGIN_S;
  return port.putExpiring(key, value, ttl);
}

export async function fleetRevoke(
  fleet: FleetConfig,
  targetArg: string,
  opts: { reason?: string; until?: string },
  out: Writer,
): Promise<void> {
  const target = targetOrExit(targetArg);
  const now = system.now();
  const until = opts.until === undefined ? null : parseUntil(opts.until, now);
  if (until !== null && until <= now) throw new CliExit(2, `--until ${opts.until} is in the past`);
  if (opts.reason !== undefined && (opts.reason.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(opts.reason)))
    throw new CliExit(2, `--reason must be one line of at most ${MAX_REASON} characters`);
  const revision = await withEtcd(fleet, (port) => putRevocation(port, fleet, target, opts.reason ?? null, until, now));
  out.write(
    `revoked ${fleetTargetText(target)}${until !== null ? ` until ${new Date(until).toISOString()}` : ''} fleet-wide (etcd revision ${revision}); every connected host enforces it now\n`,
  );
}

export async function fleetUnrevoke(fleet: FleetConfig, targetArg: string, out: Writer): Promise<void> {
  const target = targetOrExit(targetArg);
  const layout = keyLayout(fleet.prefix);
  const removed = await withEtcd(fleet, async (port) => {
    const { kvs } = await port.list(layout.revoked);
    // Every key that names this target by value (from:2001:DB8::/32 and from:2001:db8::/32 alike).
    const keys = kvs
      .map((kv) => kv.key)
      .filter((k) => {
        const t = parseFleetTarget(keyTail(k, layout.revoked) ?? '');
        return typeof t !== 'string' && sameFleetTarget(t, target);
      });
    if (keys.length > 0) await port.apply({ puts: [], deletes: keys }, null);
    return keys.length;
  });
  out.write(`removed ${removed} fleet revocation${removed === 1 ? '' : 's'} for ${fleetTargetText(target)}\n`);
}

export async function fleetRevocations(fleet: FleetConfig, json: boolean, out: Writer): Promise<void> {
  const layout = keyLayout(fleet.prefix);
  const { revision, kvs } = await withEtcd(fleet, (port) => port.list(layout.revoked));
  const now = system.now();
  const entries: FleetEntry[] = [];
  const bad: { key: string; message: string }[] = [];
  for (const kv of kvs) {
    const d = decodeRevocation(kv.key, keyTail(kv.key, layout.revoked) ?? '', kv.value, kv.modRevision);
    if (d.ok) entries.push(d.entry);
    else bad.push({ key: d.key, message: d.message });
  }
  const rows = entries.map((e) => ({
    key: e.key,
    target: fleetTargetText(e.target),
    reason: e.reason,
    until: e.until === null ? null : new Date(e.until).toISOString(),
    lapsed: e.until !== null && e.until <= now,
    by: e.by,
    at: e.at,
    mod_revision: e.modRevision,
  }));
  if (json) {
    out.write(JSON.stringify({ prefix: fleet.prefix, revision, entries: rows, skipped: bad }, null, 2) + '\n');
    return;
  }
  const lines = [
    `${layout.revoked} at revision ${revision}: ${rows.filter((r) => !r.lapsed).length} in force, ${rows.filter((r) => r.lapsed).length} lapsed, ${bad.length} skipped`,
  ];
  for (const r of rows)
    lines.push(
      `  ${r.target}${r.lapsed ? ' (LAPSED)' : ''}${r.until ? ` until ${r.until}` : ''}${r.reason !== null ? ` reason=${JSON.stringify(r.reason)}` : ''}  by ${r.by ?? '?'} at ${r.at ?? '?'}`,
    );
  for (const b of bad) lines.push(`  SKIPPED ${b.key}: ${b.message}`);
  out.write(lines.join('\n') + '\n');
}
