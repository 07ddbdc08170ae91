// THE HOST BOUNDARY. Everything that touches the machine is in src/host/, one file per kind of contact;
// code elsewhere receives these functions (or objects built from them) as parameters, so the rest of
// src/ is plain data and logic that tests drive with their own clock, processes and files.
//
// What crosses, file by file:
//   clock.ts            the wall clock (Date.now), the monotonic clock (performance.now), timers
//                       (setTimeout), defer (setImmediate)
//   test-clock.ts       MOSHWARDEN_TEST_CLOCK: an offset end-to-end tests add to the daemon's wall clock
//   process.ts          signals sent (kill) and received (SIGHUP/SIGTERM/SIGINT), niceness, pid, uid,
//                       environment, host name, exit
//   proc.ts             /proc: its pids, stat, identity (and process or thread), the pid and fork
//                       counters, uptime
//   process-table.ts    the process table kept between scans (which pids to read: pid-span.ts, pure;
//                       an unchanged stat line is told in its bytes: stat-compare.ts, pure)
//   proc-files.ts       /proc/PID: fds, fdinfo, status, environ, exe, net/udp
//   pty.ts              the session's pty: stat (idle times) and the warning write
//   utmp.ts             /var/run/utmp (attach state, client address)
//   nss.ts              user and group names through getent (a child process)
//   cron.ts             wall-clock schedules (node-cron)
//   watch.ts            inotify watches (fs.watch) on /dev/pts and on files' directories
//   output.ts           writes to file descriptors: stdout, stderr, the audit file
//   text-file.ts        the config file's text
//   revocation-file.ts  reading the revocation file: open, fstat (owner and mode), size and line caps, read
//   safe-path.ts        every directory and symlink on a path root's alone (lstat, readlink), like StrictModes
//   revocation-edit.ts  `revoke` / `unrevoke`: O_APPEND + fsync, temp file + rename
//   version.ts          package.json
//   devpts.ts           how /dev/pts is mounted, and this process's groups (can warnings be written?)
//   audit-files.ts      the audit log and its rotations, streamed line by line (`history`)
//   terminal.ts         the live screen of `sessions --watch`: raw keys, alternate screen, restore
//   atomic.ts           files the fleet service and the daemon hand each other: temp + fsync + rename;
//                       read only under the trust rule (the fleet revocation file, the status file)
//   etcd.ts             the etcd3 client (the fleet service's and the admin commands' network)
//   fleet-io.ts         the fleet service's files, watches, timers and signals
//   identity.ts         the host name and the person running an admin command
//   heap.ts             how far V8 lets the daemon's heap grow (a V8 flag set at run time)
//   system.ts           the bundle the daemon loop acts through (clock, kill + identity check, write)
//
// Outside src/host/, only these touch the machine, each a sink or the entry point:
//   src/log/audit.ts          opens and appends to the audit file (log.audit_file)
//   src/metrics/textfile.ts   rewrites the Prometheus textfile (metrics.textfile)
//   src/main.ts               hands process.argv, stdout, stderr and the environment to the CLI
// `grep -rnE "from 'node:|setTimeout|Date\.now|process\." src` outside src/host/ finds those three.
export {};
