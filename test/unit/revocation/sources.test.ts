import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Revocation } from '../../../src/core/types.js';
import { RevocationSet, type RevocationSource } from '../../../src/revocation/sources.js';

const entry = (name: string, line = 1): Revocation => ({
  target: { kind: 'user', name },
  line,
  reason: null,
  until: null,
});

function source(
  name: string,
  list: readonly Revocation[],
): RevocationSource & { list: readonly Revocation[]; refreshed: number } {
  return {
    name,
    list,
    refreshed: 0,
    current() {
      return this.list;
    },
    refresh() {
      this.refreshed++;
    },
    close() {},
  };
}

test('the set merges every source in order, and refresh reaches each', () => {
  const file = source('file', [entry('a')]);
  const fleet = source('fleet', [entry('b'), entry('c', 2)]);
  const set = new RevocationSet([file, fleet]);
  assert.deepEqual(
    set.current().map((r) => (r.target.kind === 'user' ? r.target.name : '?')),
    ['a', 'b', 'c'],
  );
  set.refresh();
  assert.deepEqual([file.refreshed, fleet.refreshed], [1, 1]);
});

test('one source changing its list changes the merge; an unchanged set returns the same array', () => {
  const file = source('file', [entry('a')]);
  const fleet = source('fleet', []);
  const set = new RevocationSet([file, fleet]);
  const first = set.current();
  assert.equal(set.current(), first, 'no copy per pass when nothing changed');
  fleet.list = [entry('z')];
  assert.equal(set.current().length, 2);
  // A source that keeps its last good list (a read failure) keeps its entries in the merge.
  assert.ok(set.current().some((r) => r.target.kind === 'user' && r.target.name === 'a'));
});
