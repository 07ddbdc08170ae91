// Problems with the daemon itself, as opposed to with one session: said loudly, once per problem.
import type { DevptsMount } from '../host/devpts.js';

/**
 * Why no warning can be written to any session's pty, or null when they can (but for a user's `mesg n`).
 * With devpts `gid=5,mode=620` (Debian's default) ptys are group tty and group-writable, and the service
 * writes as group tty. Root (or CAP_DAC_OVERRIDE) writes regardless: the daemon cannot tell those apart
 * here, so uid 0 counts as able.
 */
export function warningProblem(mount: DevptsMount | null, me: { uid: number; groups: number[] }): string | null {
  if (me.uid === 0 || mount === null) return null;
  if (mount.gid === null || (mount.mode & 0o020) === 0) {
    const opts = `${mount.gid === null ? 'no gid=' : `gid=${mount.gid}`},mode=${mount.mode.toString(8).padStart(3, '0')}`;
    return (
      `/dev/pts is mounted ${opts}: ptys are not writable by their group, so no warning can be written to any ` +
      'session. Sessions are still ended, at their deadline or warn_before after the (failed) warning, with no ' +
      "message on screen. Fix: mount -o remount,gid=5,mode=620 /dev/pts (Debian's default)."
    );
  }
  if (!me.groups.includes(mount.gid)) {
    return (
      `this daemon is not in group ${mount.gid}, the group of the ptys: no warning can be written to any session ` +
      '(sessions are still ended, without a message on screen). Run it with SupplementaryGroups=tty.'
    );
  }
  return null;
}
