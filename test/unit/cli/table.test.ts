import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignColumns } from '../../../src/cli/table.js';

test('columns padded to the widest cell, the last one ragged', () => {
  assert.equal(
    alignColumns(
      ['A', 'BB', 'C'],
      [
        ['xxx', 'y', 'long text'],
        ['z', 'wwww', ''],
      ],
    ),
    'A    BB    C\nxxx  y     long text\nz    wwww  ',
  );
});

test('a year of rows (beyond the spread-argument limit) is no problem', () => {
  const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), 'x']);
  assert.equal(alignColumns(['N', 'X'], rows).split('\n').length, 300_001);
});
