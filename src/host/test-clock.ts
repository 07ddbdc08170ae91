// Host boundary: a wall clock that end-to-end tests can move without moving the machine's (other tests
// and services on the machine depend on the real one; a time namespace moves only the monotonic and
// boot clocks, not CLOCK_REALTIME). MOSHWARDEN_TEST_CLOCK names a file that holds an offset in
// milliseconds, added to every reading of the daemon's wall clock (host/clock.ts setWallOffset). Who can
// set it: only whoever starts the daemon chooses its environment (root, or systemd from the unit, which
// never sets it); the file must belong to root (or to the daemon's own user) and be writable by nobody
// else; it is read at start and again on SIGUSR2, which only root and the daemon's user can send. A
// policed user can do none of these. docs/architecture.md, "Clocks".
import fs from 'node:fs';
import { setWallOffset } from './clock.js';

export const TEST_CLOCK_ENV = 'MOSHWARDEN_TEST_CLOCK';

/** The offset in the file, or why it is refused. */
function readOffset(file: string): number | string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    return (e as Error).message;
  }
  try {
    const st = fs.fstatSync(fd);
    if ((st.uid !== 0 && st.uid !== process.getuid?.()) || (st.mode & 0o022) !== 0) {
      return 'not owned by root (or the daemon) or writable by others';
    }
    const ms = Number(fs.readFileSync(fd, 'utf8').trim());
    return Number.isInteger(ms) ? ms : 'not an integer of milliseconds';
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * With MOSHWARDEN_TEST_CLOCK set, applies the file's offset now and on every SIGUSR2. Returns the file
 * (null when unset); `onRefused` is told why a reading was not applied (the offset stays as it was).
 */
export function installTestClock(onRefused: (why: string) => void): string | null {
  const file = process.env[TEST_CLOCK_ENV];
  if (!file) return null;
  const apply = () => {
    const r = readOffset(file);
    if (typeof r === 'number') setWallOffset(r);
    else onRefused(`${file}: ${r}`);
  };
  apply();
  process.on('SIGUSR2', apply);
  return file;
}
