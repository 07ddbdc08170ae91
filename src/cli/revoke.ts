// moshwarden revoke / unrevoke / revocations: the revocation file from the command line.
import { findRevocation } from '../core/decide.js';
import { parseDuration } from '../core/duration.js';
import type { Policy, Revocation } from '../core/types.js';
import { clock } from '../host/clock.js';
import { appendLine, EditError, removeTarget } from '../host/revocation-edit.js';
import { readRevocationFile } from '../host/revocation-file.js';
import { parseInstant, parseRevocations, parseTarget, quoteReason, targetText } from '../revocation/parse.js';
import { discoveryOnThisHost } from '../sessions/on-this-host.js';
import { CliExit } from './config-path.js';
import type { Io } from './io.js';

const MAX_REASON = 500;

/** `--until`: ISO-8601 with a zone, or a duration from now (`24h`). */
export function parseUntil(text: string, now: number): number {
  const instant = parseInstant(text);
  if (instant !== null) return instant;
  const d = parseDuration(text);
  if (d.ok && d.ms !== null) return now + d.ms;
  throw new CliExit(2, `--until ${text}: not an ISO-8601 time with a zone (2026-12-01T00:00:00Z) or a duration (24h)`);
}

/** The exact line `revoke` appends; parsed back before writing, so what is written is what is meant. */
export function revocationLine(
  targetArg: string,
  reason: string | undefined,
  until: number | null,
): { line: string; entry: Revocation } {
  const target = parseTarget(targetArg);
  if (typeof target === 'string') throw new CliExit(2, `bad target ${JSON.stringify(targetArg)}: ${target}`);
  let line = targetText(target);
  if (reason !== undefined) {
    const quoted = quoteReason(reason);
    if (quoted === null || reason.length > MAX_REASON)
      throw new CliExit(2, `--reason must be one line of at most ${MAX_REASON} characters`);
    line += ` reason=${quoted}`;
  }
  if (until !== null) line += ` until=${new Date(until).toISOString()}`;
  line += '\n';
  const parsed = parseRevocations(line);
  if (parsed.entries.length !== 1 || parsed.errors.length !== 0) {
    throw new CliExit(
      2,
      `refusing to write a line that does not read back as one entry: ${parsed.errors[0]?.message ?? line}`,
    );
  }
  return { line, entry: parsed.entries[0]! };
}

export async function revokeCommand(
  targetArg: string,
  opts: { reason?: string; until?: string },
  policy: Policy,
  io: Io,
): Promise<void> {
  const now = clock.now();
  const until = opts.until === undefined ? null : parseUntil(opts.until, now);
  if (until !== null && until <= now) throw new CliExit(2, `--until ${opts.until} is in the past`);
  const { line, entry } = revocationLine(targetArg, opts.reason, until);
  // Look before writing: a running daemon acts within milliseconds of the append, and the list printed
  // is of the sessions this revocation ends.
  // Session ids name this host as the daemon does (fleet.host, else the host name): session: targets match.
  const discovery = discoveryOnThisHost(policy.fleet?.host);
  const { sessions } = await discovery.scan(true);
  const hit = sessions.filter((s) => findRevocation(s, [entry], now));
  try {
    const res = appendLine(policy.revocationFile, line);
    if (res.created) io.err.write(`created ${policy.revocationFile} (root, 0600)\n`);
    if (res.fixedUnterminated) io.err.write(`note: the file's last line had no newline; one was added before ours\n`);
  } catch (e) {
    if (e instanceof EditError) throw new CliExit(1, e.message);
    throw new CliExit(1, `cannot write ${policy.revocationFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  io.out.write(
    `revoked ${targetText(entry.target)}${until !== null ? ` until ${new Date(until).toISOString()}` : ''} in ${policy.revocationFile}\n`,
  );

  if (hit.length === 0) {
    io.out.write('no live session matches now; new sessions that match will be ended as they start\n');
    return;
  }
  io.out.write(`the daemon ends ${hit.length} live session${hit.length === 1 ? '' : 's'}:\n`);
  for (const s of hit)
    io.out.write(
      `  ${s.pid}  ${s.user ?? `uid:${s.uid}`}  ${s.tty ?? '?'}  from ${s.from ?? '-'}  ${s.state}${s.client ? ` ${s.client}` : ''}\n`,
    );
}

export function unrevokeCommand(targetArg: string, policy: Policy, io: Io): void {
  const target = parseTarget(targetArg);
  if (typeof target === 'string') throw new CliExit(2, `bad target ${JSON.stringify(targetArg)}: ${target}`);
  let removed: number;
  try {
    removed = removeTarget(policy.revocationFile, target);
  } catch (e) {
    if (e instanceof EditError) throw new CliExit(1, e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliExit(1, `${policy.revocationFile} does not exist`);
    throw new CliExit(1, `cannot rewrite ${policy.revocationFile}: ${code ?? String(e)}`);
  }
  io.out.write(
    `removed ${removed} line${removed === 1 ? '' : 's'} for ${targetText(target)} from ${policy.revocationFile}\n`,
  );
}

export function listRevocations(policy: Policy, json: boolean, io: Io): void {
  const res = readRevocationFile(policy.revocationFile);
  if (!res.ok && res.missing) {
    io.out.write(
      json
        ? JSON.stringify({ file: policy.revocationFile, exists: false, entries: [], errors: [] }, null, 2) + '\n'
        : `${policy.revocationFile} does not exist: no revocations\n`,
    );
    return;
  }
  if (!res.ok) throw new CliExit(1, `${res.message} (the daemon keeps its last good list)`);
  const now = clock.now();
  const rows = res.parsed.entries.map((e) => ({
    line: e.line,
    target: targetText(e.target),
    reason: e.reason,
    until: e.until === null ? null : new Date(e.until).toISOString(),
    lapsed: e.until !== null && e.until <= now,
  }));
  if (json) {
    io.out.write(
      JSON.stringify(
        {
          file: policy.revocationFile,
          exists: true,
          entries: rows,
          errors: res.parsed.errors,
          pending_bytes: res.parsed.pendingBytes,
        },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const out = [
    `${policy.revocationFile}: ${rows.filter((r) => !r.lapsed).length} in force, ${rows.filter((r) => r.lapsed).length} lapsed, ${res.parsed.errors.length} bad line(s)`,
  ];
  for (const r of rows) {
    out.push(
      `  line ${r.line}: ${r.target}${r.lapsed ? ' (LAPSED)' : ''}${r.until ? ` until ${r.until}` : ''}${r.reason !== null ? ` reason=${JSON.stringify(r.reason)}` : ''}`,
    );
  }
  for (const e of res.parsed.errors) out.push(`  line ${e.line}: ERROR ${e.message}`);
  if (res.parsed.pendingBytes > 0)
    out.push(
      `  (an unfinished last line of ${res.parsed.pendingBytes} bytes is not in force until it ends with a newline)`,
    );
  io.out.write(out.join('\n') + '\n');
}
