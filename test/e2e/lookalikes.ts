// The look-alike session generator of the flood test (flood.test.ts) and the benchmark (bench/pty-holders.ts):
// one python3 process forks `count` holders; each renames itself `name`, forkpty()s a child that leads the
// pty and makes it mode 600 (`mesg n`), and waits. No UDP socket. Prints "ready" once all exist.
// argv: count, name.
export const LOOKALIKES_PY = `
import ctypes, os, pty, signal, sys
libc = ctypes.CDLL(None)
n, name = int(sys.argv[1]), sys.argv[2].encode()
for i in range(n):
    if os.fork() == 0:
        libc.prctl(15, name, 0, 0, 0)
        pid, fd = pty.fork()
        if pid == 0:
            libc.prctl(15, b"fakeshell", 0, 0, 0)
            os.chmod(os.ttyname(0), 0o600)
        signal.pause()
        os._exit(0)
print("ready", flush=True)
signal.pause()
`;
