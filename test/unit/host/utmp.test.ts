import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMoshHost, parseUtmp } from '../../../src/host/utmp.js';

function record(
  type: number,
  pid: number,
  line: string,
  user: string,
  host: string,
  sec: number,
  usec: number,
): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt16LE(type, 0);
  b.writeInt32LE(pid, 4);
  b.write(line, 8, 32, 'utf8');
  b.write(user, 44, 32, 'utf8');
  b.write(host, 76, 256, 'utf8');
  b.writeInt32LE(sec, 340);
  b.writeInt32LE(usec, 344);
  return b;
}

test('parseUtmp reads USER_PROCESS records and skips others and a torn tail', () => {
  const buf = Buffer.concat([
    record(7, 1863, 'pts/0', 'mw-alice', 'mosh [1863]', 1795000000, 250000),
    record(8, 99, 'pts/1', '', '', 0, 0), // DEAD_PROCESS
    record(7, 1900, 'pts/2', 'mw-bob', '127.0.0.1 via mosh [1900]', 1795000100, 0),
    Buffer.alloc(100), // a partial record being written
  ]);
  assert.deepEqual(parseUtmp(buf), [
    { pid: 1863, line: 'pts/0', user: 'mw-alice', host: 'mosh [1863]', time: 1795000000250 },
    { pid: 1900, line: 'pts/2', user: 'mw-bob', host: '127.0.0.1 via mosh [1900]', time: 1795000100000 },
  ]);
});

test('parseMoshHost: attached, detached/waiting, and not mosh', () => {
  assert.deepEqual(parseMoshHost('198.51.100.9 via mosh [4242]'), { attached: true, client: '198.51.100.9' });
  assert.deepEqual(parseMoshHost('2001:db8::9 via mosh [4242]'), { attached: true, client: '2001:db8::9' });
  assert.deepEqual(parseMoshHost('mosh [4242]'), { attached: false });
  assert.equal(parseMoshHost('198.51.100.9'), null);
  assert.equal(parseMoshHost('tmux(1956).%0'), null);
});
