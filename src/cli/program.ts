// The command line: a thin commander layer over the commands. Exit codes per CONTRACT.md.
import { Command, CommanderError } from 'commander';
import { checkConfig } from './check-config.js';
import { version } from './version.js';
import { CliExit, configPath, loadPolicyOrExit } from './config-path.js';
import { runDaemon } from './run.js';
import { listRevocations, revokeCommand, unrevokeCommand } from './revoke.js';
import { listSessions } from './sessions.js';
import { terminateCommand } from './terminate.js';
import { fleetStatus, runFleet } from './fleet.js';
import { loadFleetOrExit } from './fleet-config.js';
import { fleetRevocations, fleetRevoke, fleetUnrevoke } from './fleet-revoke.js';
import { fleetSessions, fleetTerminate } from './fleet-sessions.js';

export function buildProgram(): Command {
  const program = new Command('moshwarden')
    .description('Ends idle, over-age, detached and revoked mosh sessions on this host.')
    .version(version(), '--version')
    .helpOption('-h, --help')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
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
      await runDaemon({ configPath: configPath(o.config), dryRun: Boolean(o.dryRun) });
    });

  program
    .command('sessions')
    .description('list live mosh sessions and what the policy decides for each')
    .option('--config <file>', 'config file')
    .option('--json', 'print a JSON array')
    .option('--fleet', "every host's sessions, from etcd (adds HOST)")
    .action(async (o: { config?: string; json?: boolean; fleet?: boolean }) => {
      if (o.fleet) return fleetSessions((await fleetConfig(o.config)).fleet, Boolean(o.json), process.stdout);
      await listSessions(await loadPolicyOrExit(configPath(o.config)), Boolean(o.json));
    });

  program
    .command('terminate')
    .description('end one mosh session now: message, SIGTERM, SIGKILL after the grace period')
    .argument('<pid>', 'PID of the mosh-server session (see `moshwarden sessions`); with --fleet, its SESSION-ID')
    .option('--reason <text>', 'shown to the user and recorded in the log')
    .option('--config <file>', 'config file (for the grace period)')
    .option('--fleet', 'end the session with this id on whichever host it is (a revocation of session:ID)')
    .action(async (pid: string, o: { reason?: string; config?: string; fleet?: boolean }) => {
      if (o.fleet) return fleetTerminate((await fleetConfig(o.config)).fleet, pid, o.reason, process.stdout);
      await terminateCommand(pid, o.reason, await loadPolicyOrExit(configPath(o.config)));
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
      if (o.fleet) return fleetRevoke((await fleetConfig(o.config)).fleet, target, o, process.stdout);
      await revokeCommand(target, o, await loadPolicyOrExit(configPath(o.config)));
    });

  program
    .command('unrevoke')
    .description('remove the revocation lines for a target (the file is rewritten atomically)')
    .argument('<target>', 'NAME | user:NAME | uid:N | group:NAME | from:CIDR')
    .option('--config <file>', 'config file (for revocation_file)')
    .option('--fleet', 'lift a fleet-wide revocation (etcd)')
    .action(async (target: string, o: { config?: string; fleet?: boolean }) => {
      if (o.fleet) return fleetUnrevoke((await fleetConfig(o.config)).fleet, target, process.stdout);
      unrevokeCommand(target, await loadPolicyOrExit(configPath(o.config)));
    });

  program
    .command('revocations')
    .description('list the revocation entries in force, lapsed ones, and bad lines')
    .option('--config <file>', 'config file (for revocation_file)')
    .option('--json', 'print JSON')
    .option('--fleet', 'the fleet-wide list in etcd')
    .action(async (o: { config?: string; json?: boolean; fleet?: boolean }) => {
      if (o.fleet) return fleetRevocations((await fleetConfig(o.config)).fleet, Boolean(o.json), process.stdout);
      listRevocations(await loadPolicyOrExit(configPath(o.config)), Boolean(o.json));
    });

  const fleet = program
    .command('fleet')
    .description('the fleet service in the foreground: etcd revocations to this host, its sessions to etcd')
    .option('--config <file>', 'config file (its fleet: section)')
    .action(async (o: { config?: string }) => {
      await runFleet(configPath(o.config));
    });
  fleet
    .command('status')
    .description("the fleet service's connection, revision in force and last contact (exit 1 unless connected)")
    .option('--config <file>', 'config file (for fleet.status_file)')
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; json?: boolean }) => {
      await fleetStatus(
        configPath(o.config ?? fleet.opts<{ config?: string }>().config),
        Boolean(o.json),
        process.stdout,
      );
    });

  program
    .command('check-config')
    .description('validate a config file and summarise the policy it sets')
    .argument('[file]', 'config file')
    .action(async (file: string | undefined) => {
      await checkConfig(configPath(file));
    });

  return program;
}

const fleetConfig = (flag: string | undefined) => loadFleetOrExit(configPath(flag));

/** Parses argv, runs the command, and turns every failure into a message and an exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version "fail" with code 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliExit) {
      process.stderr.write(`moshwarden: ${e.message}\n`);
      return e.code;
    }
    process.stderr.write(`moshwarden: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
