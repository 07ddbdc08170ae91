import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { openLiveScreen, type QuitCause, type TerminalIo } from '../../../src/host/terminal.js';

function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[] });
  Object.assign(input, { setRawMode: (r: boolean) => input.rawModes.push(r) });
  let written = '';
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 30 });
  output.on('data', (c: Buffer) => (written += c.toString()));
  const signals = new EventEmitter();
  const io = { input, output, signals } as unknown as TerminalIo;
  return { io, input, output, signals, written: () => written };
}

test('enters the alternate screen with the cursor hidden and raw keys; q restores everything, once', async () => {
  const t = fakeTerminal();
  const quits: QuitCause[] = [];
  const screen = openLiveScreen(
    t.io,
    (c) => quits.push(c),
    () => {},
  );
  screen.draw(['one', 'two']);
  await new Promise((r) => setImmediate(r));
  assert.equal(t.written(), '\x1b[?1049h\x1b[?25l' + '\x1b[Hone\x1b[K\r\ntwo\x1b[K\x1b[J');
  assert.deepEqual(t.input.rawModes, [true]);
  assert.deepEqual(screen.size(), { cols: 100, rows: 30 });
  t.input.write('x'); // not a quit key
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(quits, []);
  t.input.write('q');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(quits, ['key']);
  assert.ok(t.written().endsWith('\x1b[?25h\x1b[?1049l'), 'cursor back, main screen back');
  assert.deepEqual(t.input.rawModes, [true, false]);
  screen.close();
  t.signals.emit('SIGTERM');
  assert.equal(t.written().match(/\x1b\[\?1049l/g)?.length, 1, 'restored exactly once');
  assert.equal(t.signals.listenerCount('SIGTERM') + t.signals.listenerCount('exit'), 0, 'handlers removed');
});

test('Ctrl-C (raw mode: a byte, not a signal), SIGTERM and SIGHUP restore the terminal too', async () => {
  for (const how of ['ctrl-c', 'SIGTERM', 'SIGHUP'] as const) {
    const t = fakeTerminal();
    const quits: QuitCause[] = [];
    openLiveScreen(
      t.io,
      (c) => quits.push(c),
      () => {},
    );
    if (how === 'ctrl-c') t.input.write('\x03');
    else t.signals.emit(how);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(quits, [how === 'ctrl-c' ? 'key' : how]);
    assert.ok(t.written().endsWith('\x1b[?25h\x1b[?1049l'), how);
  }
});

test('a process exit (an exception elsewhere) still gives the terminal back', () => {
  const t = fakeTerminal();
  openLiveScreen(
    t.io,
    () => {},
    () => {},
  );
  t.signals.emit('exit');
  assert.ok(t.written().endsWith('\x1b[?25h\x1b[?1049l'));
});
