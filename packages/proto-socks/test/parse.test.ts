import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ParseResult, parseSocks5Greeting, parseSocks5UserPass, parseSocksRequest } from '../src/index.js';

/** Feeds `bytes` to `parse` one byte at a time, as a driver would when each read returns one byte. */
function byteAtATime<T>(parse: (bytes: Buffer) => ParseResult<T>, bytes: Buffer): { value: T; length: number; steps: number } {
  let steps = 0;
  for (let end = 0; end <= bytes.length; end += 1) {
    const result = parse(bytes.subarray(0, end));
    steps += 1;
    if (result.done) return { value: result.value, length: result.length, steps };
    assert.ok(result.needed >= 1 && end + result.needed <= bytes.length, `needed ${result.needed} at ${end} reaches past the message`);
  }
  throw new Error('parser never finished');
}

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

const good: readonly [string, Buffer, Record<string, unknown>][] = [
  [
    'SOCKS 4 CONNECT to an IPv4 address with a USERID',
    Buffer.concat([hex('04 01 0050 7f000001'), Buffer.from('alice\0')]),
    { version: 4, command: 'connect', addressType: 'ipv4', host: '127.0.0.1', port: 80, userId: 'alice' },
  ],
  [
    'SOCKS 4 BIND with an empty USERID',
    hex('04 02 1f90 0a000001 00'),
    { version: 4, command: 'bind', host: '10.0.0.1', port: 8080, userId: '' },
  ],
  [
    'SOCKS 4a CONNECT to a host name',
    Buffer.concat([hex('04 01 01bb 00000001'), Buffer.from('\0example.org\0')]),
    { version: 4, addressType: 'domain', host: 'example.org', port: 443 },
  ],
  [
    'SOCKS 5 CONNECT to an IPv4 address',
    hex('05 01 00 01 c0000201 0016'),
    { version: 5, command: 'connect', addressType: 'ipv4', host: '192.0.2.1', port: 22 },
  ],
  [
    'SOCKS 5 CONNECT to a domain name',
    Buffer.concat([hex('05 01 00 03 0b'), Buffer.from('example.com'), hex('0050')]),
    { addressType: 'domain', host: 'example.com', port: 80 },
  ],
  [
    'SOCKS 5 CONNECT to an IPv6 address',
    hex('05 01 00 04 20010db8000000000000000000000001 0050'),
    { addressType: 'ipv6', host: '2001:db8::1', port: 80 },
  ],
  ['SOCKS 5 UDP ASSOCIATE', hex('05 03 00 01 00000000 0000'), { command: 'udp-associate', commandCode: 3 }],
  ['SOCKS 5 unknown command 9', hex('05 09 00 01 00000000 0000'), { command: 'unknown', commandCode: 9 }],
];

for (const [name, bytes, expected] of good) {
  test(`parses ${name}, whole and byte at a time`, () => {
    const whole = parseSocksRequest(bytes);
    assert.ok(whole.done);
    if (!whole.done) return;
    assert.is(whole.length, bytes.length);
    for (const [key, value] of Object.entries(expected)) assert.equal((whole.value as unknown as Record<string, unknown>)[key], value, key);
    const split = byteAtATime(parseSocksRequest, bytes);
    assert.equal(split.value, whole.value);
  });
}

test('a request followed by pipelined bytes reports only its own length', () => {
  const bytes = Buffer.concat([hex('05 01 00 01 7f000001 0050'), Buffer.from('GET / HTTP/1.1\r\n')]);
  const result = parseSocksRequest(bytes);
  assert.ok(result.done && result.length === 10);
});

const bad: readonly [string, Buffer, string][] = [
  ['an unsupported version', hex('06 01 00 50'), 'ERR_TUNNEL_SOCKS_BAD_VERSION'],
  ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n'), 'ERR_TUNNEL_SOCKS_BAD_VERSION'],
  ['a SOCKS 5 request with a non-zero reserved byte', hex('05 01 01 01 7f000001 0050'), 'ERR_TUNNEL_SOCKS_MALFORMED'],
  ['a SOCKS 5 request with an unknown address type', hex('05 01 00 02 7f000001 0050'), 'ERR_TUNNEL_SOCKS_ADDRESS_TYPE_NOT_SUPPORTED'],
  ['a SOCKS 5 request with an empty domain', hex('05 01 00 03 00 0050'), 'ERR_TUNNEL_SOCKS_MALFORMED'],
  [
    'a SOCKS 5 domain with a control byte',
    Buffer.concat([hex('05 01 00 03 03'), Buffer.from('a\nb'), hex('0050')]),
    'ERR_TUNNEL_SOCKS_MALFORMED',
  ],
  [
    'a SOCKS 4 USERID longer than 255 bytes',
    Buffer.concat([hex('04 01 0050 7f000001'), Buffer.alloc(256, 0x61)]),
    'ERR_TUNNEL_SOCKS_FIELD_TOO_LONG',
  ],
  [
    'a terminated SOCKS 4 USERID of 256 bytes',
    Buffer.concat([hex('04 01 0050 7f000001'), Buffer.alloc(256, 0x61), hex('00')]),
    'ERR_TUNNEL_SOCKS_FIELD_TOO_LONG',
  ],
  [
    'a SOCKS 4a host name longer than 255 bytes',
    Buffer.concat([hex('04 01 0050 00000001 00'), Buffer.alloc(300, 0x61), hex('00')]),
    'ERR_TUNNEL_SOCKS_FIELD_TOO_LONG',
  ],
  ['a SOCKS 4a empty host name', hex('04 01 0050 00000001 00 00'), 'ERR_TUNNEL_SOCKS_MALFORMED'],
];

for (const [name, bytes, code] of bad) {
  test(`refuses ${name} with ${code}`, () => {
    try {
      let result = parseSocksRequest(bytes);
      // Unterminated fields fail once the bound is crossed, even before the whole input is seen.
      if (!result.done) result = parseSocksRequest(Buffer.concat([bytes, Buffer.alloc(1)]));
      assert.unreachable(`parsed: ${JSON.stringify(result)}`);
    } catch (error) {
      assert.is((error as { code?: string }).code, code);
    }
  });
}

test('asks for more bytes on an empty or short request', () => {
  assert.equal(parseSocksRequest(Buffer.alloc(0)), { done: false, needed: 1 });
  assert.equal(parseSocksRequest(hex('04 01')), { done: false, needed: 6 });
  assert.equal(parseSocksRequest(hex('05 01 00 03 05')), { done: false, needed: 7 });
});

test('parses a SOCKS 5 greeting byte at a time and refuses one with no methods', () => {
  const { value, length } = byteAtATime(parseSocks5Greeting, hex('05 02 00 02'));
  assert.equal(value, [0, 2]);
  assert.is(length, 4);
  assert.throws(
    () => parseSocks5Greeting(hex('05 00')),
    (error: { code: string }) => error.code === 'ERR_TUNNEL_SOCKS_MALFORMED',
  );
  assert.throws(
    () => parseSocks5Greeting(hex('04 01 00')),
    (error: { code: string }) => error.code === 'ERR_TUNNEL_SOCKS_BAD_VERSION',
  );
});

test('parses an RFC 1929 username/password request byte at a time', () => {
  const bytes = Buffer.concat([hex('01 05'), Buffer.from('alice'), hex('06'), Buffer.from('secret')]);
  const { value, length } = byteAtATime(parseSocks5UserPass, bytes);
  assert.equal(value, { username: 'alice', password: 'secret' });
  assert.is(length, bytes.length);
  assert.throws(
    () => parseSocks5UserPass(hex('05 00')),
    (error: { code: string }) => error.code === 'ERR_TUNNEL_SOCKS_BAD_VERSION',
  );
});

test.run();
