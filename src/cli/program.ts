// The command line: a thin commander layer over the commands. Exit codes per docs/contract.md.
import { Command, CommanderError } from 'commander';
import { checkConfig } from './check-config.js';
import { version } from '../host/version.js';
import type { Io } from './io.js';
import { CliExit, configPath, loadPolicyOrExit } from './config-path.js';
import { runCommand } from './run.js';
import { listRevocations, revokeCommand, unrevokeCommand } from './revoke.js';
import { listSessions } from './sessions.js';
import { terminateCommand } from './terminate.js';
import { historyCommand, type HistoryOptions } from './history.js';
import { DEFAULT_WATCH_MS, parseWatchInterval } from './sessions-watch.js';
import { clock } from '../host/clock.js';

/** The fleet commands (and etcd3 with them), loaded only when one runs (cli/fleet-commands.ts). */
const fleetCli = () => import('./fleet-commands.js');

export function buildProgram(io: Io): Command {
  const config = (flag: string | undefined) => configPath(flag, io.env);
  const fleetConfig = async (flag: string | undefined) =>
    (await (await fleetCli()).loadFleetOrExit(config(flag))).fleet;
  const program = new Command('moshwarden')
    .description('Ends idle, over-age, detached and revoked mosh sessions on this host.')
    .version(version(), '--version')
    .helpOption('-h, --help')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .addHelpText(
      'after',
      '\nConfig: --config FILE, else $MOSHWARDEN_CONFIG, else /etc/moshwarden/config.yaml.\nExit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid config.',
    );

  program
    .command('run')
    .description('run the daemon in the foreground (JSON log lines on stdout; SIGHUP reloads)')
    .option('--config <file>', 'config file')
    .option('--dry-run', 'log every decision, signal and write nothing')
    .action(async (o: { config?: string; dryRun?: boolean }) => {
      await runCommand({ configPath: config(o.config), dryRun: Boolean(o.dryRun) }, io.out);
    });

  program
    .command('sessions')
    .description('list live mosh sessions and what the policy decides for each')
    .option('--config <file>', 'config file')
    .option('--json', 'print a JSON array')
    .option('--watch [interval]', 'redraw in place every INTERVAL (2s, or seconds like 0.5; default 2s) until q')
    .option('--fleet', "every host's sessions, from etcd (adds HOST)")
    .option('--wide', 'add an ID column: the session id `revoke session:ID` and `terminate --fleet` take')
    .action(async (o: { config?: string; json?: boolean; watch?: string | true; fleet?: boolean; wide?: boolean }) => {
      if (o.fleet) return (await fleetCli()).fleetSessions(await fleetConfig(o.config), Boolean(o.json), io.out);
      const watchMs = watchOption(o.watch, Boolean(o.json));
      await listSessions(await loadPolicyOrExit(config(o.config)), Boolean(o.json), io, watchMs, Boolean(o.wide));
    });

  program
    .command('history')
    .description('who was on this host, from where, from when to when, and why it ended (from the audit log)')
    .option('--since <when>', 'sessions on at or after WHEN: ISO-8601 with a zone, or a duration back (24h, 7d)')
    .option('--until <when>', 'sessions on at or before WHEN (same forms)')
    .option('--user <name>', 'only this user (a name, or a uid)')
    .option('--from <cidr>', 'only sessions whose ssh origin or any client address is in this range')
    .option('--json', 'print a JSON array')
    .option('--file <path>', "read this audit file (and its rotations) instead of the config's log.audit_file")
    .option('--config <file>', 'config file (for log.audit_file)')
    .action(async (o: HistoryOptions & { file?: string; config?: string }) => {
      await historyCommand(await auditPath(o, config), o, { out: io.out, err: io.err, now: clock.now() });
    });

  program
    .command('terminate')
    .description('end one mosh session now: message, SIGTERM, SIGKILL after the grace period')
    .argument('<pid>', 'PID of the mosh-server session (see `moshwarden sessions`); with --fleet, its SESSION-ID')
    .option('--reason <text>', 'shown to the user and recorded in the log')
    .option('--config <file>', 'config file (for the grace period)')
    .option('--fleet', 'end the session with this id on whichever host it is (a revocation of session:ID)')
    .action(async (pid: string, o: { reason?: string; config?: string; fleet?: boolean }) => {
      if (o.fleet) return (await fleetCli()).fleetTerminate(await fleetConfig(o.config), pid, o.reason, io.out);
      await terminateCommand(pid, o.reason, await loadPolicyOrExit(config(o.config)), io);
    });

  program
    .command('revoke')
    .description('revoke a user, uid, group or address range: their live and future sessions are ended')
    .argument('<target>', 'NAME | user:NAME | uid:N | group:NAME | from:CIDR')
    .option('--reason <text>', 'recorded in the file, shown to the user and logged')
    .option('--until <when>', 'the entry lapses then: ISO-8601 with a zone, or a duration from now (24h)')
    .option('--config <file>', 'config file (for revocation_file)')
    .option('--fleet', 'revoke on every host, through etcd (fleet: in the config)')
    .action(async (target: string, o: { reason?: string; until?: string; config?: string; fleet?: boolean }) => {
      if (o.fleet) return (await fleetCli()).fleetRevoke(await fleetConfig(o.config), target, o, io.out);
      await revokeCommand(target, o, await loadPolicyOrExit(config(o.config)), io);
    });

  program
    .command('unrevoke')
    .description('remove the revocation lines for a target (the file is rewritten atomically)')
    .argument('<target>', 'NAME | user:NAME | uid:N | group:NAME | from:CIDR')
    .option('--config <file>', 'config file (for revocation_file)')
    .option('--fleet', 'lift a fleet-wide revocation (etcd)')
    .action(async (target: string, o: { config?: string; fleet?: boolean }) => {
      if (o.fleet) return (await fleetCli()).fleetUnrevoke(await fleetConfig(o.config), target, io.out);
      unrevokeCommand(target, await loadPolicyOrExit(config(o.config)), io);
    });

  program
    .command('revocations')
    .description('list the revocation entries in force, lapsed ones, and bad lines')
    .option('--config <file>', 'config file (for revocation_file)')
    .option('--json', 'print JSON')
    .option('--fleet', 'the fleet-wide list in etcd')
    .action(async (o: { config?: string; json?: boolean; fleet?: boolean }) => {
      if (o.fleet) return (await fleetCli()).fleetRevocations(await fleetConfig(o.config), Boolean(o.json), io.out);
      listRevocations(await loadPolicyOrExit(config(o.config)), Boolean(o.json), io);
    });

  program
    .command('check-config')
    .description('validate a config file and summarise the policy it sets')
    .argument('[file]', 'config file')
    .action(async (file: string | undefined) => {
      await checkConfig(config(file), io.out);
    });

  const fleet = program
    .command('fleet')
    .description('the fleet service in the foreground: etcd revocations to this host, its sessions to etcd')
    .option('--config <file>', 'config file (its fleet: section)')
    .action(async (o: { config?: string }) => {
      await (await fleetCli()).runFleet(config(o.config), io.out);
    });
  fleet
    .command('status')
    .description("the fleet service's connection, revision in force and last contact (exit 1 unless connected)")
    .option('--config <file>', 'config file (for fleet.status_file)')
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; json?: boolean }) => {
      await (
        await fleetCli()
      ).fleetStatus(config(o.config ?? fleet.opts<{ config?: string }>().config), Boolean(o.json), io.out);
    });

  return program;
}

/** `--watch` alone is the default interval; a value must be an interval; `--json` is a snapshot only. */
function watchOption(value: string | true | undefined, json: boolean): number | null {
  if (value === undefined) return null;
  if (json) throw new CliExit(2, '--watch redraws the table; for JSON, run `sessions --json` at your own interval');
  if (value === true) return DEFAULT_WATCH_MS;
  const ms = parseWatchInterval(value);
  if (ms === null) throw new CliExit(2, `--watch ${value}: not an interval between 0.1s and 1h (like 2s, 1, 0.5)`);
  return ms;
}

/** The audit file: --file, else the config's log.audit_file (which must then be set). */
async function auditPath(
  o: { file?: string; config?: string },
  config: (flag: string | undefined) => string,
): Promise<string> {
  if (o.file !== undefined) return o.file;
  const path = config(o.config);
  const file = (await loadPolicyOrExit(path)).log.auditFile;
  if (file === null)
    throw new CliExit(2, `${path}: log.audit_file is not set, so there is no audit log to read (or give --file PATH)`);
  return file;
}

/** Parses argv, runs the command, and turns every failure into a message and an exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version "fail" with code 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliExit) {
      io.err.write(`moshwarden: ${e.message}\n`);
      return e.code;
    }
    io.err.write(`moshwarden: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
