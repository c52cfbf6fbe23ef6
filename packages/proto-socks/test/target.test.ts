import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesToIpv6, ipv6ToBytes, isLocalOnlyAddress, resolveSocksTarget, statusForConnectError } from '../src/index.js';

const localOnly: readonly [string, boolean][] = [
  ['127.0.0.1', true],
  ['127.255.1.2', true],
  ['0.0.0.0', true],
  ['0.1.2.3', true],
  ['::1', true],
  ['::', true],
  ['::ffff:127.0.0.1', true],
  ['::ffff:7f00:1', true],
  ['0:0:0:0:0:ffff:0.0.0.0', true],
  ['10.0.0.1', false],
  ['192.0.2.1', false],
  ['128.0.0.1', false],
  ['2001:db8::1', false],
  ['::ffff:192.0.2.1', false],
  ['fe80::1', false],
  ['localhost', false],
];

for (const [address, expected] of localOnly) {
  test(`isLocalOnlyAddress(${address}) is ${expected}`, () => {
    assert.is(isLocalOnlyAddress(address), expected);
  });
}

test('IPv6 text and bytes round-trip in canonical form', () => {
  assert.is(bytesToIpv6(ipv6ToBytes('2001:0db8:0:0:0:0:0:0001')), '2001:db8::1');
  assert.is(bytesToIpv6(ipv6ToBytes('::ffff:1.2.3.4')), '::ffff:102:304');
  assert.is(ipv6ToBytes('1::').toString('hex'), '00010000000000000000000000000000');
});

const fakeLookup = (table: Record<string, string[]>) => async (host: string) => {
  const found = table[host];
  if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

test('a name is resolved and its first checked address returned', async () => {
  const lookup = fakeLookup({ 'www.example': ['192.0.2.5', '2001:db8::5'] });
  assert.is(await resolveSocksTarget('www.example', { lookup }), '192.0.2.5');
});

test('a name with ANY loopback address is refused unless loopback is allowed', async () => {
  const lookup = fakeLookup({ sneaky: ['192.0.2.5', '127.0.0.1'] });
  try {
    await resolveSocksTarget('sneaky', { lookup });
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TUNNEL_SOCKS_TARGET_REFUSED');
    assert.match((error as Error).message, /127\.0\.0\.1/);
  }
  assert.is(await resolveSocksTarget('sneaky', { lookup, allowLoopback: true }), '192.0.2.5');
});

test('literal loopback and unspecified targets are refused by default', async () => {
  for (const host of ['127.0.0.1', '::1', '0.0.0.0', '::ffff:127.0.0.2']) {
    try {
      await resolveSocksTarget(host);
      assert.unreachable(host);
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_SOCKS_TARGET_REFUSED', host);
    }
  }
  assert.is(await resolveSocksTarget('::1', { allowLoopback: true }), '::1');
});

test('an unresolvable name fails with ERR_TUNNEL_SOCKS_RESOLVE_FAILED, an empty answer too', async () => {
  for (const lookup of [fakeLookup({}), async () => []]) {
    try {
      await resolveSocksTarget('nowhere.invalid', { lookup });
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_SOCKS_RESOLVE_FAILED');
    }
  }
});

test('an aborted signal stops the resolution with the abort reason', async () => {
  const controller = new AbortController();
  const hanging = resolveSocksTarget('slow', { lookup: () => new Promise(() => {}), signal: controller.signal });
  controller.abort(Object.assign(new Error('timeout'), { code: 'ERR_TUNNEL_ABORTED' }));
  try {
    await hanging;
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TUNNEL_ABORTED');
  }
});

test('connect errors map to SOCKS reply statuses', () => {
  const table: [unknown, string][] = [
    [{ code: 'ECONNREFUSED' }, 'connection-refused'],
    [{ code: 'ENETUNREACH' }, 'network-unreachable'],
    [{ code: 'EHOSTUNREACH' }, 'host-unreachable'],
    [{ code: 'ETIMEDOUT' }, 'host-unreachable'],
    [{ code: 'ERR_TUNNEL_SOCKS_RESOLVE_FAILED' }, 'host-unreachable'],
    [{ code: 'ERR_TUNNEL_SOCKS_TARGET_REFUSED' }, 'not-allowed'],
    [{ code: 'ERR_CORE_X', cause: { code: 'ECONNREFUSED' } }, 'connection-refused'],
    [new Error('boom'), 'general-failure'],
    [null, 'general-failure'],
  ];
  for (const [error, status] of table) assert.is(statusForConnectError(error), status, JSON.stringify(error));
});

test.run();
