// moshwarden terminate PID: end one session through the daemon's own path (reason "manual").
import { endMany } from '../act/end.js';
import { limitsFor, ruleIndex } from '../core/policy.js';
import type { Policy } from '../core/types.js';
import { system } from '../host/system.js';
import { AuditFile } from '../log/audit.js';
import { endFields } from '../log/fields.js';
import { createLogger } from '../log/logger.js';
import { discoveryOnThisHost } from '../sessions/on-this-host.js';
import { CliExit } from './config-path.js';
import type { Io } from './io.js';

export async function terminateCommand(
  pidText: string,
  reason: string | undefined,
  policy: Policy,
  io: Io,
): Promise<void> {
  if (!/^[1-9][0-9]{0,9}$/.test(pidText)) throw new CliExit(2, `not a PID: ${pidText}`);
  const pid = Number(pidText);
  const discovery = discoveryOnThisHost();
  const { sessions } = await discovery.scan(true);
  const session = sessions.find((s) => s.pid === pid);
  if (!session) throw new CliExit(2, `PID ${pid} is not a mosh session (see \`moshwarden sessions\`)`);

  // The event lines go to stderr as JSON; stdout keeps the one human-readable result line. They also go
  // to the daemon's audit file if it keeps one (never created here): the daemon itself only sees the
  // session vanish (reason null), and `history` must say `manual`.
  const audit = new AuditFile(policy.log.auditFile, (message) => io.err.write(`note: ${message}\n`), {
    create: false,
  });
  const log = createLogger({ level: policy.log.level, out: io.err, taps: [audit] });
  const match = limitsFor(session, policy);
  const now = system.now();
  const verdict = {
    action: 'terminate',
    reason: 'manual',
    at: now,
    rule: ruleIndex(match),
    limits: match.limits,
  } as const;
  const [pending] = endMany([{ session, verdict, detail: reason ?? null }], now, { ...system, log, dryRun: false });
  const outcome = await pending!;
  const who = `${pid} (${session.user ?? `uid ${session.uid}`} ${session.tty ?? '?'})`;
  switch (outcome?.result) {
    case 'exited':
    case 'killed':
    case 'gone': {
      log.info(endFields(session, system.now(), 'manual'), 'session gone');
      const how =
        outcome.result === 'killed'
          ? `killed with SIGKILL after ${outcome.afterMs} ms`
          : outcome.result === 'gone'
            ? 'was already gone'
            : `exited ${outcome.afterMs} ms after SIGTERM`;
      io.out.write(`session ${who} ${how}\n`);
      audit.close();
      return;
    }
    case 'failed':
      throw new CliExit(1, `could not send ${outcome.signal} to ${who}: ${outcome.code}`);
    case 'stuck':
      throw new CliExit(1, `session ${who} is still present after SIGKILL`);
    default:
      throw new CliExit(1, `session ${who} was not terminated`);
  }
}
