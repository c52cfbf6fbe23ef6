import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addressBytes, decodeSockaddr, encodeSockaddr, formatAddress, OsError } from '../src/index.js';

const addresses: [string, string][] = [
  ['127.0.0.1', '127.0.0.1'],
  ['10.200.1.2', '10.200.1.2'],
  ['::', '::'],
  ['::1', '::1'],
  ['1::', '1::'],
  ['fe80::1:2', 'fe80::1:2'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
  ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
  ['::1.2.3.4', '::102:304'],
  ['fe80::1%lo', 'fe80::1'],
];

for (const [input, printed] of addresses) {
  test(`address ${input} survives a trip through bytes as ${printed}`, () => {
    assert.is(formatAddress(addressBytes(input)), printed);
  });
}

test('sockaddr_in carries the family in host order and the port in network order', () => {
  const buffer = encodeSockaddr('10.1.2.3', 0x1234);
  assert.is(buffer.length, 16);
  assert.is(buffer.readUInt16LE(0), 2);
  assert.equal([...buffer.subarray(2, 8)], [0x12, 0x34, 10, 1, 2, 3]);
  assert.equal(decodeSockaddr(buffer), { address: '10.1.2.3', port: 0x1234, family: 'IPv4' });
});

test('sockaddr_in6 is 28 bytes and decodes back', () => {
  const buffer = encodeSockaddr('2001:db8::7', 443);
  assert.is(buffer.length, 28);
  assert.is(buffer.readUInt16LE(0), 10);
  assert.equal(decodeSockaddr(buffer), { address: '2001:db8::7', port: 443, family: 'IPv6' });
});

for (const [what, run] of [
  ['a host name', () => encodeSockaddr('localhost', 1)],
  ['a port above 65535', () => encodeSockaddr('127.0.0.1', 65536)],
  ['a negative port', () => encodeSockaddr('127.0.0.1', -1)],
  ['an unknown family', () => decodeSockaddr(Buffer.alloc(16))],
  ['a truncated address', () => decodeSockaddr(Buffer.from([2, 0]))],
] as const) {
  test(`${what} is refused with ERR_TUNNEL_OS_BAD_ADDRESS`, () => {
    try {
      run();
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, OsError);
      assert.is((error as OsError).code, 'ERR_TUNNEL_OS_BAD_ADDRESS');
    }
  });
}

test.run();
