// sessions --fleet: every host's published sessions; terminate --fleet SESSION-ID: end one, anywhere.
// Terminating is a revocation of `session:<id>` (docs/fleet.md, "Terminating a session"), so the host
// ends it through the path every revocation takes, with its audit and its fail-closed rules.
import type { FleetConfig } from '../fleet/config.js';
import { keyLayout, keyTail, sessionKey } from '../fleet/keys.js';
import type { EtcdPort } from '../fleet/port.js';
import { parseSessionId } from '../fleet/session-id.js';
import { formatDuration } from '../core/duration.js';
import { system } from '../host/system.js';
import { CliExit } from './config-path.js';
import { withEtcd, type Writer } from './fleet-config.js';
import { putRevocation } from './fleet-revoke.js';

/** How long a terminate stays in force: longer than any host is expected to be cut off (docs/fleet.md). */
export const TERMINATE_FOR_MS = 24 * 3600_000;
/** How long `terminate --fleet` waits for the host to report the session gone. */
const WAIT_MS = 15_000;

type Row = Record<string, unknown> & { id: string; host: string };

async function fleetSessionRows(port: EtcdPort, fleet: FleetConfig) {
  const layout = keyLayout(fleet.prefix);
  const [hosts, sessions] = [await port.list(layout.hosts), await port.list(layout.sessions)];
  const rows: Row[] = [];
  for (const kv of sessions.kvs) {
    const id = keyTail(kv.key, layout.sessions);
    try {
      const v = JSON.parse(kv.value) as Record<string, unknown>;
      if (id !== null && typeof v === 'object' && v !== null) rows.push({ ...v, id, host: id.split('/')[0]! });
    } catch {
      // not ours to show
    }
  }
  rows.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : a.id < b.id ? -1 : 1));
  return { rows, hosts: hosts.kvs.length, revision: sessions.revision };
}

const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
const secs = (v: unknown) => (typeof v === 'number' ? formatDuration(v * 1000) : '-');

export async function fleetSessions(fleet: FleetConfig, json: boolean, out: Writer): Promise<void> {
  const { rows, hosts } = await withEtcd(fleet, (port) => fleetSessionRows(port, fleet));
  if (json) {
    out.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  const header = ['HOST', 'ID', 'USER', 'TTY', 'FROM', 'STATE', 'IDLE', 'AGE', 'VERDICT'];
  const body = rows.map((r) => {
    const v = (r.verdict ?? {}) as Record<string, unknown>;
    const state = r.state === 'attached' && r.client ? `attached ${cell(r.client)}` : cell(r.state);
    return [
      r.host,
      r.id,
      cell(r.user ?? `uid:${cell(r.uid)}`),
      cell(r.tty),
      cell(r.from),
      state,
      secs(r.idle_seconds),
      secs(r.age_seconds),
      `${cell(v.action)} (${cell(v.reason)})`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('  ');
  out.write(
    [
      line(header),
      ...body.map(line),
      `${rows.length} session${rows.length === 1 ? '' : 's'} on ${hosts} host${hosts === 1 ? '' : 's'}`,
    ].join('\n') + '\n',
  );
}

export async function fleetTerminate(
  fleet: FleetConfig,
  idText: string,
  reason: string | undefined,
  out: Writer,
): Promise<void> {
  const id = parseSessionId(idText);
  if (typeof id === 'string') throw new CliExit(2, id);
  const layout = keyLayout(fleet.prefix);
  const key = sessionKey(layout, idText);
  await withEtcd(fleet, async (port) => {
    const listed = await port.list(key);
    if (!listed.kvs.some((kv) => kv.key === key))
      throw new CliExit(2, `${idText} is not a live session in the fleet list (see \`moshwarden sessions --fleet\`)`);
    const now = system.now();
    const revision = await putRevocation(
      port,
      fleet,
      { kind: 'session', ...id },
      reason ?? 'terminated by an operator',
      now + TERMINATE_FOR_MS,
      now,
    );
    out.write(`revoked session:${idText} (etcd revision ${revision}); waiting for ${id.host} to end it\n`);
    const deadline = system.now() + WAIT_MS;
    while (system.now() < deadline) {
      await system.sleep(200);
      const still = await port.list(key);
      if (!still.kvs.some((kv) => kv.key === key)) {
        out.write(`session ${idText} is gone\n`);
        return;
      }
    }
    throw new CliExit(
      1,
      `session ${idText} is still listed after ${WAIT_MS / 1000} s; the revocation stays in force for ${TERMINATE_FOR_MS / 3600_000}h (is ${id.host}'s fleet service connected?)`,
    );
  });
}
