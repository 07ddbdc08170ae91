import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSessionsFile } from '../../../src/fleet/sessions-file.js';
import { parseSessionId, sessionIdText } from '../../../src/fleet/session-id.js';

describe('the sessions file', () => {
  test('elements are published as written, plus host; bad ones are refused one by one', () => {
    const text = JSON.stringify({
      host: 'web-1',
      written_at: '2026-11-24T10:00:00.000Z',
      sessions: [
        { id: 'web-1/4242-99', user: 'mw-alice' },
        { id: 'web-2/1-1', user: 'x' },
        { id: 'web-1/4242-99', user: 'again' },
        { user: 'no id' },
        7,
      ],
    });
    const r = parseSessionsFile(text, 'web-1');
    assert.ok(typeof r !== 'string');
    assert.deepEqual(r.sessions, [
      { id: 'web-1/4242-99', value: '{"id":"web-1/4242-99","user":"mw-alice","host":"web-1"}' },
    ]);
    assert.equal(r.refused.length, 4);
    assert.equal(r.writtenAt, '2026-11-24T10:00:00.000Z');
  });
  test("another host's file, or not one at all, is refused whole", () => {
    assert.match(parseSessionsFile('{"host":"web-2","sessions":[]}', 'web-1') as string, /written for host "web-2"/);
    assert.equal(parseSessionsFile('[', 'web-1'), 'not JSON');
    assert.match(parseSessionsFile('{"host":"web-1"}', 'web-1') as string, /no "sessions"/);
  });
  test('session ids round-trip and refuse what is not one', () => {
    assert.equal(sessionIdText(parseSessionId('web-17/4242-1234567') as never), 'web-17/4242-1234567');
    for (const bad of ['web-17', 'web-17/0-1', 'web 17/1-1', '/1-1', 'h/1-01', 'h/1-2/3'])
      assert.equal(typeof parseSessionId(bad), 'string', bad);
  });
});
