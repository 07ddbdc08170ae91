// Which pty times are the user's input and output, and which were set by hand. Pure.
//
// Measured on this kernel (docs/architecture.md, "Idle time from the pty"): input read from the pty sets
// its atime, output its mtime, always to a whole second (nanoseconds 0), and neither touches ctime
// (tty_update_time in drivers/tty/tty_io.c). The pty belongs to the session's user, who may set both
// times with utimes (`touch -a`): that also sets ctime to now, and `touch -a` leaves the nanoseconds of
// the moment. chmod (`mesg n`) and chown change ctime only. The daemon also looks at a pty right after
// every attribute event inotify reports for it (chmod, chown, touch of both times or of mtime: not of
// atime alone), so a `mesg` is seen on its own, before any keystroke that follows it.
//
// Hence the rules, per time (atime for input, mtime for output):
// - unchanged: nothing new; moved back: someone made the session look idler — that never helps an
//   escape, so it is believed (tests make sessions idle this way);
// - moved forward with ctime unchanged, to a whole second not in the future: the kernel did it: input;
// - moved forward in the same reading as a ctime change, or to a time with nanoseconds, or to the
//   future: set by hand. Not input; `session.tamper` says so, and idleness counts on from the last
//   trusted time. One case is not reported: a whole second no later than a chmod read right after its
//   inotify event — the keystrokes of `mesg n` itself. Not believed either: it costs the user seconds.
// At first sight (a new session, a restarted daemon) there is no history: a whole-second time is
// believed; a time with nanoseconds is believed only up to the pty's creation (the session's start).
//
// The wall clock can jump (core/clock-jump.ts). `placed` holds where the times last read stand on the
// daemon's clock now; a time that has not changed since keeps that place, one that changed is placed by
// `placeNew`. All comparisons below are between placed times. A ctime ahead of now at first sight can
// only mean the wall clock went back since it was written (nobody can set ctime): then a time ahead of
// now is not tampering either, and counts as now.
import { placeNew, type Jump } from './clock-jump.js';
import type { PtyTimes } from './types.js';

/** The pty's creation is within this of the session's start (whose start time is whole seconds of btime). */
export const CREATION_SLACK_MS = 2_000;

export interface PtyTrust {
  /** The times of the last reading, as read. */
  seen: PtyTimes;
  /** Its atime and mtime on the daemon's clock now (moved by every jump since they were read). */
  placed: { atime: number; mtime: number };
  input: number;
  output: number;
  /**
   * The ctime of a reading not judged yet: a pass read the pty between a chmod and its inotify event.
   * The event's own reading decides; a second pass reading the same thing without one decides instead.
   */
  undecided?: number;
}

export interface Tamper {
  what: 'atime' | 'mtime';
  /** A short operator-facing account of what was seen. */
  how: string;
}

export interface Trusted {
  trust: PtyTrust;
  tamper: Tamper[];
}

function firstTime(
  value: number,
  whole: boolean,
  startedAt: number,
  now: number,
  clockWentBack: boolean,
): { at: number; how: string | null } {
  if (value > now && clockWentBack) return { at: now, how: null };
  if (value > now) return { at: Math.min(now, startedAt + CREATION_SLACK_MS), how: 'set in the future' };
  if (!whole && value > startedAt + CREATION_SLACK_MS) {
    return { at: startedAt + CREATION_SLACK_MS, how: 'set by hand (utimes): not a time the kernel writes' };
  }
  return { at: value, how: null };
}

/** The first reading of a session's pty (`jump`: a jump of the wall clock was seen right before it). */
export function firstTrust(t: PtyTimes, startedAt: number, now: number, jump: Jump | null = null): Trusted {
  const placed = { atime: placeNew(t.atimeMs, jump), mtime: placeNew(t.mtimeMs, jump) };
  const back = placeNew(t.ctimeMs, jump) > now;
  const a = firstTime(placed.atime, t.atimeWhole, startedAt, now, back);
  const m = firstTime(placed.mtime, t.mtimeWhole, startedAt, now, back);
  return { trust: { seen: t, placed, input: a.at, output: m.at }, tamper: tampered(a.how, m.how) };
}

/** The trust moved by a jump of the wall clock: every remembered time keeps its distance from now. */
export function shiftTrust(trust: PtyTrust, deltaMs: number): PtyTrust {
  return {
    ...trust,
    placed: { atime: trust.placed.atime + deltaMs, mtime: trust.placed.mtime + deltaMs },
    input: trust.input + deltaMs,
    output: trust.output + deltaMs,
  };
}

const AMBIGUOUS = 'moved forward together with a change of the inode (utimes)';

function nextTime(
  before: { raw: number; at: number },
  raw: number,
  jump: Jump | null,
  whole: boolean,
  ctime: { changed: boolean; now: number },
  afterAttributeEvent: boolean,
  trusted: number,
  now: number,
): { at: number; how: string | null; placed: number } {
  if (raw === before.raw) return { at: trusted, how: null, placed: before.at };
  const value = placeNew(raw, jump);
  return { ...judgeMove(before.at, value, whole, ctime, afterAttributeEvent, trusted, now), placed: value };
}

function judgeMove(
  before: number,
  value: number,
  whole: boolean,
  ctime: { changed: boolean; now: number },
  afterAttributeEvent: boolean,
  trusted: number,
  now: number,
): { at: number; how: string | null } {
  if (value < before) return { at: Math.min(trusted, value), how: null };
  if (value > now) return { at: trusted, how: 'set in the future' };
  if (!whole) return { at: trusted, how: 'set by hand (utimes): not a time the kernel writes' };
  if (!ctime.changed) return { at: value, how: null };
  if (value > ctime.now) return { at: trusted, how: 'set ahead of the inode change that came with it (utimes)' };
  // A whole second no later than the inode change: `touch -d @SECOND`, or keystrokes (and their echo)
  // just before a `mesg`. Right after the chmod's own inotify event it is most likely the latter: not
  // believed, not reported. Without an event (utimes of atime alone raises none) it is the former.
  return { at: trusted, how: afterAttributeEvent ? null : AMBIGUOUS };
}

/**
 * A later reading: what moved, and whether the kernel moved it. `afterAttributeEvent`: the reading was
 * taken because inotify reported an attribute change on the pty (chmod, chown, utimes of mtime).
 */
export function nextTrust(
  prev: PtyTrust,
  t: PtyTimes,
  now: number,
  afterAttributeEvent = false,
  jump: Jump | null = null,
): Trusted {
  const ctime = { changed: t.ctimeMs !== prev.seen.ctimeMs, now: placeNew(t.ctimeMs, jump) };
  const judge = (raw: number, before: number, placed: number, whole: boolean, trusted: number) =>
    nextTime({ raw: before, at: placed }, raw, jump, whole, ctime, afterAttributeEvent, trusted, now);
  const a = judge(t.atimeMs, prev.seen.atimeMs, prev.placed.atime, t.atimeWhole, prev.input);
  const m = judge(t.mtimeMs, prev.seen.mtimeMs, prev.placed.mtime, t.mtimeWhole, prev.output);
  // A pass may read the pty between a chmod and the inotify event it raises: wait for the event's own
  // reading (or for a second pass that still has had none) before calling it tampering.
  const ambiguous = a.how === AMBIGUOUS || m.how === AMBIGUOUS;
  if (ambiguous && !afterAttributeEvent && prev.undecided !== t.ctimeMs) {
    return { trust: { ...prev, undecided: t.ctimeMs }, tamper: [] };
  }
  return {
    trust: { seen: t, placed: { atime: a.placed, mtime: m.placed }, input: a.at, output: m.at },
    tamper: tampered(a.how, m.how),
  };
}

function tampered(atime: string | null, mtime: string | null): Tamper[] {
  const out: Tamper[] = [];
  if (atime) out.push({ what: 'atime', how: atime });
  if (mtime) out.push({ what: 'mtime', how: mtime });
  return out;
}
