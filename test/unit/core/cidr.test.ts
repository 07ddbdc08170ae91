import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cidrContains, parseAddress, parseCidr, type Cidr } from '../../../src/core/cidr.js';

function c(text: string): Cidr {
  const r = parseCidr(text);
  if ('error' in r) throw new Error(r.error);
  return r;
}

test('IPv4 ranges', () => {
  assert.equal(cidrContains(c('203.0.113.0/24'), '203.0.113.77'), true);
  assert.equal(cidrContains(c('203.0.113.0/24'), '203.0.114.1'), false);
  assert.equal(cidrContains(c('203.0.113.5'), '203.0.113.5'), true);
  assert.equal(cidrContains(c('203.0.113.5'), '203.0.113.6'), false);
  assert.equal(cidrContains(c('0.0.0.0/0'), '8.8.8.8'), true);
  assert.equal(cidrContains(c('10.0.0.0/15'), '10.1.255.1'), true);
  assert.equal(cidrContains(c('10.2.0.0/15'), '10.1.255.1'), false);
});

test('IPv6 ranges and IPv4-mapped clients', () => {
  assert.equal(cidrContains(c('2001:db8::/32'), '2001:db8:1::5'), true);
  assert.equal(cidrContains(c('2001:db8::/32'), '2001:db9::5'), false);
  assert.equal(cidrContains(c('::1'), '::1'), true);
  assert.equal(cidrContains(c('203.0.113.0/24'), '::ffff:203.0.113.9'), true);
  assert.equal(cidrContains(c('2001:db8::/32'), '203.0.113.9'), false);
  // An IPv4-mapped range matches IPv4 clients, however they are written.
  assert.equal(cidrContains(c('::ffff:203.0.113.0/120'), '203.0.113.9'), true);
  assert.equal(cidrContains(c('::ffff:203.0.113.9'), '::ffff:203.0.113.9'), true);
  assert.equal(cidrContains(c('::ffff:203.0.113.0/120'), '203.0.114.9'), false);
});

test('refuses what would be ambiguous or wider than written', () => {
  for (const bad of [
    '10.0.0.5/8',
    '1.2.3',
    '1.2.3.4/33',
    '01.2.3.4',
    '1.2.3.256',
    '2001:db8::/129',
    'host',
    '',
    '1::2::3',
    '2001:db8::1/64',
  ]) {
    assert.ok('error' in parseCidr(bad), bad);
  }
});

test('parseAddress', () => {
  assert.deepEqual([...parseAddress('::ffff:1.2.3.4')!], [1, 2, 3, 4]);
  assert.equal(parseAddress('1:2:3:4:5:6:7:8')!.length, 16);
  assert.equal(parseAddress('1:2:3:4:5:6:7'), null);
  assert.equal(parseAddress('1:2:3:4:5:6:7:8:9'), null);
});
