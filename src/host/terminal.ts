// A full-screen live view in the terminal, like watch(1) or top(1): the alternate screen, no cursor, keys
// read raw so `q` quits without Enter; and the terminal given back exactly as it was on every way out
// (q, Ctrl-C, SIGTERM, SIGHUP, SIGINT, and process exit as the last resort).
import os from 'node:os';
import { clock } from './clock.js';

/** The streams and signal source the screen uses; process.stdin/stdout/process in real use. */
export interface TerminalIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
}

export type QuitCause = 'key' | NodeJS.Signals;

export interface LiveScreen {
  /** Draws the lines in place of the last frame. */
  draw(lines: readonly string[]): void;
  size(): { cols: number; rows: number };
  /** Leaves the alternate screen and restores the cursor and the keyboard mode. Safe to call twice. */
  close(): void;
}

// ECMA-48 / xterm sequences, understood by every terminal emulator that tmux, screen and ssh clients use.
const ALT_SCREEN_ON = '\x1b[?1049h';
const ALT_SCREEN_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';
const HOME = '\x1b[H';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

const QUIT_KEYS = new Set([0x71 /* q */, 0x51 /* Q */, 0x03 /* Ctrl-C */, 0x04 /* Ctrl-D */]);
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Opens the live screen on a terminal. `onQuit` is called once, after the terminal is restored, with
 * why; `onResize` when the window changes size (redraw then, or the frame is cut wrong).
 */
export function openLiveScreen(io: TerminalIo, onQuit: (cause: QuitCause) => void, onResize: () => void): LiveScreen {
  let open = true;
  const raw = Boolean(io.input.isTTY && io.input.setRawMode);
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.some((b) => QUIT_KEYS.has(b))) quit('key');
  };
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => quit(signal)] as const);
  const onExit = () => close();

  function close(): void {
    if (!open) return;
    open = false;
    io.output.write(CURSOR_SHOW + ALT_SCREEN_OFF);
    if (raw) io.input.setRawMode!(false);
    io.input.off('data', onData);
    io.input.pause();
    io.output.off('resize', onResize);
    for (const [signal, h] of handlers) io.signals.off(signal, h);
    io.signals.off('exit', onExit);
  }
  function quit(cause: QuitCause): void {
    if (!open) return;
    close();
    onQuit(cause);
  }

  for (const [signal, h] of handlers) io.signals.on(signal, h);
  io.signals.on('exit', onExit);
  io.output.write(ALT_SCREEN_ON + CURSOR_HIDE);
  if (raw) io.input.setRawMode!(true);
  io.input.on('data', onData);
  io.input.resume();
  io.output.on('resize', onResize);

  return {
    draw(lines) {
      if (!open) return;
      // Raw mode turns off the tty's newline translation: every line ends in CR LF. Overwriting in place
      // and clearing what is left, rather than clearing the screen first, keeps the redraw from flickering.
      io.output.write(HOME + lines.map((l) => l + CLEAR_LINE_END).join('\r\n') + CLEAR_BELOW);
    },
    size() {
      return { cols: io.output.columns ?? 80, rows: io.output.rows ?? 24 };
    },
    close,
  };
}

/** For a stream that is not a terminal: stop cleanly on the same signals. Returns the unsubscribe. */
export function onStopSignals(signals: TerminalIo['signals'], onStop: (signal: NodeJS.Signals) => void): () => void {
  const handlers = STOP_SIGNALS.map((signal) => [signal, () => onStop(signal)] as const);
  for (const [signal, h] of handlers) signals.on(signal, h);
  return () => {
    for (const [signal, h] of handlers) signals.off(signal, h);
  };
}

/** The real terminal: stdin, stdout, this process's signals, the host name and timers (for `sessions --watch`). */
export function liveTerminal(): {
  io: TerminalIo;
  err: { write(s: string): void };
  host: string;
  setTimer: (fn: () => void, ms: number) => { cancel(): void };
} {
  return {
    io: { input: process.stdin, output: process.stdout, signals: process },
    err: process.stderr,
    host: os.hostname(),
    setTimer: clock.setTimer,
  };
}
