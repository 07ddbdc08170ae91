// Strict mode: the pure rule (fleet/strict.ts) and the source the daemon reads it through, with an
// injected clock and status reads.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import type { FleetStatus } from '../../../src/fleet/status.js';
import { newestContact, outOfContact } from '../../../src/fleet/strict.js';
import { StrictSource, type StatusRead } from '../../../src/revocation/strict-source.js';
import { targetText } from '../../../src/revocation/parse.js';

const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const S = 1000;

const status = (lastContact: number | null) =>
  ({
    version: 1,
    state: 'connected',
    written_at: new Date(T0).toISOString(),
    last_contact: lastContact === null ? null : new Date(lastContact).toISOString(),
  }) as FleetStatus;

describe('strict rule', () => {
  test('out of contact once the time since the last contact exceeds strict', () => {
    const base = { strictMs: 60 * S, startedAt: T0 };
    assert.equal(outOfContact({ ...base, lastContact: T0 + 10 * S, now: T0 + 70 * S }), false);
    assert.equal(outOfContact({ ...base, lastContact: T0 + 10 * S, now: T0 + 71 * S }), true);
  });

  test('with no contact known, counts from the daemon start', () => {
    const base = { strictMs: 60 * S, startedAt: T0, lastContact: null };
    assert.equal(outOfContact({ ...base, now: T0 + 60 * S }), false);
    assert.equal(outOfContact({ ...base, now: T0 + 61 * S }), true);
  });

  test('the newest contact wins; an unreadable status or no contact in it changes nothing', () => {
    assert.equal(newestContact(null, status(T0)), T0);
    assert.equal(newestContact(T0 + S, status(T0)), T0 + S);
    assert.equal(newestContact(T0, null), T0);
    assert.equal(newestContact(T0, status(null)), T0);
  });
});

describe('StrictSource', () => {
  function harness(read: () => StatusRead) {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ base: undefined, timestamp: false }, { write: (l: string) => lines.push(JSON.parse(l)) });
    let now = T0;
    let changes = 0;
    const source = new StrictSource(T0, { log, onChange: () => changes++, now: () => now, readStatus: read });
    return { source, lines, changes: () => changes, at: (ms: number) => (now = T0 + ms) };
  }

  test('turns on after strict without contact, with the fleet:strict entry and a log line; off when contact returns', () => {
    let read: StatusRead = { ok: true, status: status(T0) };
    const h = harness(() => read);
    h.source.configure({ strictMs: 60 * S, statusFile: '/x' });
    assert.deepEqual(h.source.current(), []);
    h.at(61 * S);
    h.source.refresh();
    const [entry] = h.source.current();
    assert.equal(targetText(entry!.target), 'fleet:strict');
    assert.equal(entry!.source, 'strict');
    assert.equal(h.changes(), 1);
    const on = h.lines.find((l) => l.event === 'fleet.strict');
    assert.equal(on?.state, 'on');
    assert.equal(on?.strict_seconds, 60);
    h.at(62 * S);
    h.source.refresh();
    assert.equal(h.source.current()[0], entry, 'the same entry while it lasts');
    read = { ok: true, status: status(T0 + 62 * S) };
    h.source.refresh();
    assert.deepEqual(h.source.current(), []);
    assert.equal(h.changes(), 2);
    assert.equal(h.lines.filter((l) => l.event === 'fleet.strict').at(-1)?.state, 'off');
  });

  test('an unreadable or untrusted status file is no contact: said once, and strict follows from the start', () => {
    const h = harness(() => ({ ok: false, message: '/x is not trusted' }));
    h.source.configure({ strictMs: 60 * S, statusFile: '/x' });
    h.source.refresh();
    assert.equal(h.lines.filter((l) => l.event === 'daemon.problem').length, 1);
    h.at(61 * S);
    h.source.refresh();
    assert.equal(h.source.current().length, 1);
  });

  test('off in the config: nothing in force, and the status file is not read', () => {
    let reads = 0;
    const h = harness(() => (reads++, { ok: false, message: 'x' }));
    h.source.configure({ strictMs: 60 * S, statusFile: '/x' });
    h.at(61 * S);
    h.source.refresh();
    assert.equal(h.source.current().length, 1);
    const before = reads;
    h.source.configure(null);
    h.source.refresh();
    assert.deepEqual(h.source.current(), []);
    assert.equal(reads, before);
  });
});
