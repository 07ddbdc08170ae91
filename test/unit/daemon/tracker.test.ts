import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOLD_MS } from '../../../src/core/attach.js';
import { limitsFor } from '../../../src/core/policy.js';
import { observe, ruleLine } from '../../../src/daemon/tracker.js';
import { NO_LIMITS, sessionAt, T0 } from '../fixtures.js';

const session = sessionAt;
/** A reading whose pty shows output at `mtime` (a kernel update: whole second, ctime unchanged). */
const output = (mtime: number) => session({ pty: { ...session().pty!, mtimeMs: mtime } });

test('a first reading starts the record: change "start", nothing remembered yet', () => {
  const o = observe(undefined, session(), T0);
  assert.equal(o.change, 'start');
  assert.equal(o.recheckAt, null);
  assert.deepEqual(o.tracked.memory, { warnings: [] });
  assert.equal(o.tracked.ending, null);
});

test('waiting → attached is believed at once; attached → detached only after the hold, client kept meanwhile', () => {
  let t = observe(undefined, session({ state: 'waiting', client: null }), T0).tracked;
  const attached = observe(t, session(), T0 + 1_000);
  assert.equal(attached.change, 'attach');
  t = attached.tracked;

  const flip = session({ state: 'detached', client: null, stateSince: T0 + 10_000 });
  const held = observe(t, flip, T0 + 11_000);
  assert.equal(held.change, null);
  assert.equal(held.tracked.session.state, 'attached');
  assert.equal(held.tracked.session.client, '127.0.0.1');
  assert.equal(held.recheckAt, T0 + 10_000 + HOLD_MS, 'look again when the hold ends, dated from utmp');

  const believed = observe(held.tracked, flip, T0 + 10_000 + HOLD_MS);
  assert.equal(believed.change, 'detach');
  assert.equal(believed.tracked.session.stateSince, T0 + 10_000);
  assert.equal(believed.tracked.session.client, null);
});

test('a moment without a utmp record (libutempter rewriting it) is held from the pass that first saw it', () => {
  const t = observe(undefined, session(), T0).tracked;
  const unknown = session({ state: 'unknown', client: null, stateSince: null });
  const first = observe(t, unknown, T0 + 20_000);
  assert.equal(first.recheckAt, T0 + 20_000 + HOLD_MS);
  const later = observe(first.tracked, unknown, T0 + 21_000);
  assert.equal(later.recheckAt, T0 + 20_000 + HOLD_MS, 'the same change keeps its first sighting');
  assert.equal(later.tracked.session.state, 'attached');
});

test("our own warning write is not the user's output: an mtime equal to it reads as the mtime before", () => {
  const t = { ...observe(undefined, session(), T0).tracked, ownWrite: { before: T0, after: T0 + 8_000 } };
  assert.equal(observe(t, output(T0 + 8_000), T0 + 9_000).tracked.session.lastOutputAt, T0);
  assert.equal(
    observe(t, output(T0 + 16_000), T0 + 17_000).tracked.session.lastOutputAt,
    T0 + 16_000,
    "later output is the user's",
  );
});

test('ruleLine: said once, again only when the answer changes', () => {
  const defaults = NO_LIMITS;
  const exemptOps = { defaults, rules: [{ index: 0, users: [], groups: ['ops'], overrides: { exempt: true } }] };
  const first = ruleLine({ ruleLogged: 'defaults' }, limitsFor(session(), exemptOps));
  assert.deepEqual(first?.fields, { rule: 0, matched: { group: 'ops' }, exempt: true });
  assert.equal(ruleLine({ ruleLogged: first!.said }, limitsFor(session(), exemptOps)), null);
  assert.equal(ruleLine({ ruleLogged: 'defaults' }, limitsFor(session(), { defaults, rules: [] })), null);
  const unresolved = ruleLine({ ruleLogged: first!.said }, limitsFor(session({ groups: null }), exemptOps));
  assert.deepEqual(unresolved?.fields, { rule: 0, matched: null, exempt: null, unresolved: true });
});

test("the start time is kept as first computed: a snapshot's boot time moves in 10 ms steps", () => {
  const first = observe(undefined, session(), T0).tracked;
  const jittered = observe(first, session({ startedAt: session().startedAt + 7 }), T0 + 5_000);
  assert.equal(jittered.tracked.session.startedAt, session().startedAt, 'a max_age warning keeps its basis');
});
