// moshwarden terminate PID: end one session through the daemon's own path (reason "manual").
import { end, endFields } from '../act/enforce.js';
import { matchRule } from '../core/policy.js';
import type { Policy, Session } from '../core/types.js';
import { AuditFile } from '../log/audit.js';
import { createLogger } from '../log/logger.js';
import { createNss } from '../host/nss.js';
import { system } from '../host/system.js';
import { Discovery } from '../sessions/discover.js';
import { CliExit } from './config-path.js';

export async function terminateCommand(pidText: string, reason: string | undefined, policy: Policy): Promise<void> {
  if (!/^[1-9][0-9]{0,9}$/.test(pidText)) throw new CliExit(2, `not a PID: ${pidText}`);
  const pid = Number(pidText);
  const discovery = new Discovery({ nss: createNss() });
  const { sessions } = await discovery.scan(true);
  const session = sessions.find((s) => s.pid === pid);
  if (!session) throw new CliExit(2, `PID ${pid} is not a mosh session (see \`moshwarden sessions\`)`);

  // The event lines go to stderr as JSON; stdout keeps the one human-readable result line. They also go
  // to the daemon's audit file, if it keeps one: the daemon itself only sees the session vanish (reason
  // null), and `history` must say `manual`.
  const audit = new AuditFile(policy.log.auditFile, (m) => process.stderr.write(`note: ${m}\n`), { create: false });
  const log = createLogger({ level: policy.log.level, fd: 2, journald: false, taps: [audit] });
  try {
    await endOne(session, reason, policy, log);
  } finally {
    audit.close();
  }
}

async function endOne(
  session: Session,
  reason: string | undefined,
  policy: Policy,
  log: ReturnType<typeof createLogger>,
): Promise<void> {
  const pid = session.pid;
  const match = matchRule(session, policy);
  const limits = match.kind === 'matched' ? match.limits : policy.defaults;
  const outcome = await end(
    session,
    { reason: 'manual', graceMs: limits.graceMs, countOutput: limits.countOutput, detail: reason ?? null },
    system.now(),
    { ...system, log, dryRun: false },
  );
  const who = `${pid} (${session.user ?? `uid ${session.uid}`} ${session.tty ?? '?'})`;
  switch (outcome?.result) {
    case 'exited':
    case 'killed':
    case 'gone': {
      const now = system.now();
      log.info(endFields(session, now, 'manual'), 'session gone');
      const how =
        outcome.result === 'killed'
          ? `killed with SIGKILL after ${outcome.afterMs} ms`
          : outcome.result === 'gone'
            ? 'was already gone'
            : `exited ${outcome.afterMs} ms after SIGTERM`;
      process.stdout.write(`session ${who} ${how}\n`);
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
