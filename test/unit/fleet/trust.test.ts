import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trustProblem } from '../../../src/fleet/trust.js';

const file = (uid: number, mode: number) => ({ uid, mode: 0o100000 | mode, isFile: true, isDirectory: false });
const dir = (uid: number, mode: number) => ({ uid, mode: 0o40000 | mode, isFile: false, isDirectory: true });

describe('trust between the services', () => {
  test("a file of its directory's owner, or root's, writable by its owner only", () => {
    assert.equal(trustProblem(file(998, 0o600), dir(998, 0o755)), null);
    assert.equal(trustProblem(file(0, 0o644), dir(998, 0o755)), null);
  });
  test('anyone else, a writable file or a shared directory: not trusted', () => {
    assert.match(trustProblem(file(1000, 0o600), dir(998, 0o755))!, /owned by uid 1000/);
    assert.match(trustProblem(file(998, 0o664), dir(998, 0o755))!, /writable by group or others/);
    assert.match(trustProblem(file(998, 0o600), dir(998, 0o775))!, /directory is writable/);
    assert.match(trustProblem(file(998, 0o600), dir(0, 0o1777))!, /directory is writable/);
    assert.match(trustProblem({ ...file(998, 0o600), isFile: false }, dir(998, 0o755))!, /not a regular file/);
  });
});
