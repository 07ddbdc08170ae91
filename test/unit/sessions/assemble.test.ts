import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../../../src/sessions/assemble.js';
import type { CandidateFacts, FdFacts, ProcFacts, Snapshot } from '../../../src/sessions/snapshot-types.js';

const BOOT = Date.UTC(2026, 10, 24, 8, 0, 0);
const PTS = (m: number) => (136 << 8) | m; // tty_nr of /dev/pts/M

function proc(pid: number, over: Partial<ProcFacts> = {}): ProcFacts {
  return {
    pid,
    ppid: 1,
    comm: 'mosh-server',
    state: 'S',
    startTicks: pid * 10,
    session: 1,
    ttyNr: 0,
    pts: null,
    ...over,
  };
}
/** The forkpty child on /dev/pts/M: the shell once a client connected (or still mosh-server before). */
function leader(pid: number, parent: number, m: number, comm = '-bash'): ProcFacts {
  return proc(pid, { ppid: parent, comm, session: pid, ttyNr: PTS(m), pts: `pts/${m}` });
}
const master: FdFacts = {
  kind: 'ok',
  ptmxFd: 4,
  ptyIndex: null,
  port: 60001,
  from: '198.51.100.7',
  exe: '/usr/bin/mosh-server',
};
const noMaster: FdFacts = { kind: 'ok', ptmxFd: null, ptyIndex: null, port: null, from: null, exe: null };

function candidate(
  p: ProcFacts,
  children: ProcFacts[],
  fds: FdFacts = master,
  via: CandidateFacts['via'] = 'name',
): CandidateFacts {
  return { via, proc: p, children, fds, status: { uid: 1001, gid: 1001, groups: [27] } };
}

const TIMES = { atimeMs: BOOT + 1_000, mtimeMs: BOOT + 2_000, ctimeMs: BOOT, atimeWhole: true, mtimeWhole: true };

function snapshot(candidates: CandidateFacts[], over: Partial<Snapshot> = {}): Snapshot {
  return {
    host: 'web-17',
    candidates,
    utmp: new Map([[100, { mosh: { attached: true, client: '127.0.0.1' }, time: BOOT + 5_000 }]]),
    ptys: new Map([['pts/3', TIMES]]),
    takenAt: BOOT + 60_000,
    bootMs: BOOT,
    ticksPerSecond: 100,
    ...over,
  };
}

test('a session: the pty master holder, its pty from the child that leads it, owner, times and attach state', () => {
  const { sessions, pending, problems } = assemble(snapshot([candidate(proc(100), [leader(101, 100, 3)])]));
  assert.equal(pending, 0);
  assert.deepEqual(problems, []);
  assert.deepEqual(sessions, [
    {
      id: 'web-17/100-1000',
      pid: 100,
      comm: 'mosh-server',
      exe: '/usr/bin/mosh-server',
      startTicks: 1000,
      uid: 1001,
      user: null,
      groups: null,
      gids: [1001, 27],
      tty: 'pts/3',
      startedAt: BOOT + 10_000,
      from: '198.51.100.7',
      client: '127.0.0.1',
      clients: ['127.0.0.1'],
      state: 'attached',
      stateSince: BOOT + 5_000,
      port: 60001,
      pty: TIMES,
      lastInputAt: BOOT + 1_000,
      lastOutputAt: BOOT + 2_000,
    },
  ]);
});

test("the kernel's tty-index, where it is printed, names the pty before the child leads it", () => {
  const fds: FdFacts = { ...master, ptyIndex: 3 } as FdFacts;
  const [s] = assemble(snapshot([candidate(proc(100), [proc(101, { ppid: 100 })], fds)])).sessions;
  assert.equal(s!.tty, 'pts/3');
  assert.equal(s!.state, 'waiting', 'no child leads the pty yet: waiting, whatever utmp says');
});

test('a master holder with no child at all (an orphaned forkpty child, a utempter fork) is not a session yet', () => {
  // The soak's wrong kill: the server was revoked and gone; its forkpty child, still holding the master it
  // inherited, was reparented to init (ppid 1, so the utempter rule does not apply).
  const orphan = proc(26041, { ppid: 1, startTicks: 26040 * 10 });
  const a = assemble(snapshot([candidate(orphan, [])], { takenAt: BOOT + 260_400 + 4 }));
  assert.deepEqual(a.sessions, []);
  assert.equal(a.pending, 1, 'looked at again soon: a real server forks its child within microseconds');
});

test('the pre-exec forkpty child (named mosh-server, no pty master) is not a second session', () => {
  const child = leader(101, 100, 3, 'mosh-server');
  const { sessions } = assemble(snapshot([candidate(proc(100), [child]), candidate(child, [], noMaster)]));
  assert.deepEqual(
    sessions.map((s) => [s.pid, s.state]),
    [[100, 'waiting']],
    'until the child execs the shell, the session waits for its first client',
  );
});

test('the launcher (a mosh-server parent without the master) is not a session, but its child is', () => {
  const launcher = proc(90);
  const server = proc(100, { ppid: 90 });
  const { sessions } = assemble(
    snapshot([candidate(launcher, [server], noMaster), candidate(server, [leader(101, 100, 3)])]),
  );
  assert.deepEqual(
    sessions.map((s) => s.pid),
    [100],
  );
});

test('the utempter fork (a mosh-server child of a session holding the master) is never a session', () => {
  const fork = proc(102, { ppid: 100 });
  const server = candidate(proc(100), [leader(101, 100, 3), fork]);
  const { sessions } = assemble(snapshot([server, candidate(fork, [])]));
  assert.deepEqual(
    sessions.map((s) => [s.pid, s.state]),
    [[100, 'attached']],
    'and it does not make its parent look waiting',
  );
});

test('zombies and processes that vanished mid-scan are not sessions', () => {
  const zombie = candidate(proc(100, { state: 'Z' }), [leader(101, 100, 3)]);
  const gone = candidate(proc(200), [leader(201, 200, 4)], { kind: 'gone' });
  const noStatus = { ...candidate(proc(300), [leader(301, 300, 5)]), status: null };
  assert.deepEqual(assemble(snapshot([zombie, gone, noStatus])).sessions, []);
});

test('without the rights to list fds: a mosh-server whose child leads a pty is a session; a problem is reported', () => {
  const unreadable: FdFacts = { kind: 'unreadable', code: 'EACCES', from: null };
  const { sessions, problems } = assemble(
    snapshot([candidate(proc(100), [leader(101, 100, 3)], unreadable), candidate(proc(200), [], unreadable)]),
  );
  assert.deepEqual(
    sessions.map((s) => [s.pid, s.tty, s.port]),
    [[100, 'pts/3', null]],
  );
  assert.deepEqual(problems, [
    { what: 'fd', code: 'EACCES' },
    { what: 'fd', code: 'EACCES' },
  ]);
});

test('a master holder that outlived its child is still a session (a shell left a background job on the pty)', () => {
  const server = proc(100); // started at BOOT + 10 s; the snapshot is taken at BOOT + 60 s
  const a = assemble(snapshot([candidate(server, [], { ...master, ptyIndex: 3 } as FdFacts)]));
  assert.deepEqual(
    a.sessions.map((s) => [s.pid, s.tty]),
    [[100, 'pts/3']],
  );
});

test('a session whose pty is not known yet is pending; without utmp the state is unknown and said so', () => {
  const a = assemble(snapshot([candidate(proc(100), [proc(101, { ppid: 100 })])]));
  assert.equal(a.pending, 1);
  assert.equal(a.sessions[0]!.tty, null);
  assert.equal(a.sessions[0]!.lastInputAt, null, 'no pty: idle time unknown');
  const b = assemble(snapshot([candidate(proc(100), [leader(101, 100, 3)])], { utmp: null }));
  assert.equal(b.sessions[0]!.state, 'unknown');
  assert.deepEqual(b.problems, [{ what: 'utmp', code: 'ENOENT' }]);
});

test('detached and not-a-mosh-record utmp entries', () => {
  const utmp = (mosh: { attached: false } | null) => new Map([[100, { mosh, time: BOOT + 9_000 }]]);
  const detached = assemble(
    snapshot([candidate(proc(100), [leader(101, 100, 3)])], { utmp: utmp({ attached: false }) }),
  );
  assert.deepEqual(
    [detached.sessions[0]!.state, detached.sessions[0]!.client, detached.sessions[0]!.stateSince],
    ['detached', null, BOOT + 9_000],
  );
  const other = assemble(snapshot([candidate(proc(100), [leader(101, 100, 3)])], { utmp: utmp(null) }));
  assert.equal(other.sessions[0]!.state, 'unknown');
});

test('"waiting" only while the server is young: a shell renamed like the server, or a server without its shell, reads as utmp says', () => {
  const detachedUtmp: Snapshot['utmp'] = new Map([[100, { mosh: { attached: false }, time: BOOT + 30_000 }]]);
  const renamed = leader(101, 100, 3, 'mosh-server'); // the user's shell, prctl(PR_SET_NAME, "mosh-server")
  const young: Partial<Snapshot> = { utmp: detachedUtmp, takenAt: BOOT + 10_000 + 30_000 }; // started at BOOT + 10 s (pid 100)
  const old: Partial<Snapshot> = { utmp: detachedUtmp, takenAt: BOOT + 10_000 + 10 * 60_000 };
  assert.equal(assemble(snapshot([candidate(proc(100), [renamed])], young)).sessions[0]!.state, 'waiting');
  const [s] = assemble(snapshot([candidate(proc(100), [renamed])], old)).sessions;
  assert.equal(s!.state, 'detached', 'ten minutes old: no first client is awaited any more');
  assert.equal(s!.stateSince, BOOT + 30_000);
  // The server outlived its shell (a background job holds the pty): no leader at all.
  const orphaned = candidate(proc(100), [proc(102, { ppid: 100, comm: 'sleep' })]);
  assert.equal(assemble(snapshot([orphaned], old)).sessions[0]!.state, 'detached');
});
