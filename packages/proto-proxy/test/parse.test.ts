import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  encodeProxyHeaderV1,
  encodeProxyHeaderV2,
  type ParseResult,
  parseProxyHeader,
  type ProxyHeader,
  V2_SIGNATURE,
} from '../src/index.js';

function byteAtATime(bytes: Buffer): { value: ProxyHeader; length: number } {
  for (let end = 0; end <= bytes.length; end += 1) {
    const result: ParseResult<ProxyHeader> = parseProxyHeader(bytes.subarray(0, end));
    if (result.done) return result;
    assert.ok(end + result.needed <= bytes.length, `needed ${result.needed} at ${end} reaches past the header`);
  }
  throw new Error('never finished');
}

const v2 = (hex: string) => Buffer.concat([V2_SIGNATURE, Buffer.from(hex.replace(/\s+/g, ''), 'hex')]);

const good: [string, Buffer, Partial<ProxyHeader>][] = [
  [
    'v1 TCP4',
    Buffer.from('PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n'),
    { version: 1, family: 'tcp4', source: { address: '192.0.2.1', port: 56324 }, destination: { address: '198.51.100.2', port: 443 } },
  ],
  [
    'v1 TCP6',
    Buffer.from('PROXY TCP6 2001:db8::1 ::1 1 65535\r\n'),
    { family: 'tcp6', source: { address: '2001:db8::1', port: 1 }, destination: { address: '::1', port: 65535 } },
  ],
  ['v1 UNKNOWN', Buffer.from('PROXY UNKNOWN\r\n'), { version: 1, family: 'unknown', source: undefined }],
  ['v1 UNKNOWN with ignored fields', Buffer.from('PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'), { family: 'unknown' }],
  [
    'v2 PROXY TCP4',
    v2('21 11 000c c0000201 c6336402 dc04 01bb'),
    {
      version: 2,
      command: 'proxy',
      family: 'tcp4',
      source: { address: '192.0.2.1', port: 56324 },
      destination: { address: '198.51.100.2', port: 443 },
      tlvs: [],
    },
  ],
  [
    'v2 PROXY TCP6 with a TLV',
    v2(`21 21 0028 20010db8000000000000000000000001 00000000000000000000000000000001 0050 01bb 04 0001 ff`),
    {
      family: 'tcp6',
      source: { address: '2001:db8::1', port: 80 },
      destination: { address: '::1', port: 443 },
      tlvs: [{ type: 4, value: Buffer.from([0xff]) }],
    },
  ],
  ['v2 LOCAL', v2('20 00 0000'), { version: 2, command: 'local', family: 'unknown' }],
  ['v2 UDP4', v2('21 12 000c 01020304 05060708 0001 0002'), { family: 'udp4', source: { address: '1.2.3.4', port: 1 } }],
  [
    'v2 UNIX stream',
    v2(`21 31 00d8 ${Buffer.from('/a').toString('hex')}${'00'.repeat(106)}${Buffer.from('/b').toString('hex')}${'00'.repeat(106)}`),
    { family: 'unix', source: { address: '/a', port: 0 }, destination: { address: '/b', port: 0 } },
  ],
];

for (const [name, bytes, expected] of good) {
  test(`parses ${name}, whole (with trailing payload) and byte at a time`, () => {
    const result = parseProxyHeader(Buffer.concat([bytes, Buffer.from('\x16\x03\x01payload')]));
    assert.ok(result.done);
    if (!result.done) return;
    assert.is(result.length, bytes.length);
    for (const [key, value] of Object.entries(expected))
      assert.equal((result.value as unknown as Record<string, unknown>)[key], value, key);
    assert.equal(byteAtATime(bytes).value, result.value);
  });
}

const bad: [string, Buffer, string][] = [
  ['a TLS ClientHello (no header)', Buffer.from('160301020001', 'hex'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 with an unknown protocol', Buffer.from('PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 with too few fields', Buffer.from('PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 with double spaces', Buffer.from('PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 with an IPv6 address under TCP4', Buffer.from('PROXY TCP4 ::1 1.2.3.4 1 2\r\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 with a port above 65535', Buffer.from('PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 with a leading-zero port', Buffer.from('PROXY TCP4 1.2.3.4 1.2.3.4 080 2\r\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 ending in a bare LF', Buffer.from('PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 with a control byte', Buffer.from('PROXY TCP4 1.2.3.4\t1.2.3.4 1 2\r\n'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v1 without CRLF in 107 bytes', Buffer.from(`PROXY UNKNOWN ${'x'.repeat(100)}`), 'ERR_TUNNEL_PROXY_HEADER_TOO_LONG'],
  ['v1 of 108 bytes', Buffer.from(`PROXY UNKNOWN ${'x'.repeat(92)}\r\n`), 'ERR_TUNNEL_PROXY_HEADER_TOO_LONG'],
  ['v2 with version 1', v2('11 11 000c c0000201 c6336402 dc04 01bb'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v2 with command 2', v2('22 11 000c c0000201 c6336402 dc04 01bb'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v2 with family 4', v2('21 41 0000'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v2 with a short address block', v2('21 11 0004 c0000201'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v2 with a TLV past the end', v2('21 11 0010 c0000201 c6336402 dc04 01bb 01 0009 ff'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v2 ending inside a TLV header', v2('21 11 000e c0000201 c6336402 dc04 01bb 01 00'), 'ERR_TUNNEL_PROXY_BAD_HEADER'],
  ['v2 announcing 60000 bytes', v2('21 11 ea60'), 'ERR_TUNNEL_PROXY_HEADER_TOO_LONG'],
];

for (const [name, bytes, code] of bad) {
  test(`refuses ${name} with ${code}`, () => {
    try {
      const result = parseProxyHeader(bytes);
      assert.unreachable(JSON.stringify(result));
    } catch (error) {
      assert.is((error as { code: string }).code, code);
    }
  });
}

test('asks for exactly the missing bytes of a v2 header', () => {
  assert.equal(parseProxyHeader(Buffer.alloc(0)), { done: false, needed: 1 });
  assert.equal(parseProxyHeader(V2_SIGNATURE.subarray(0, 5)), { done: false, needed: 7 });
  assert.equal(parseProxyHeader(v2('21 11 000c c000')), { done: false, needed: 10 });
});

test('v1 encoder writes TCP4, TCP6 (with mapped IPv4) and UNKNOWN, and the parser reads them back', () => {
  const cases: [Parameters<typeof encodeProxyHeaderV1>[0], string][] = [
    [
      { source: { address: '192.0.2.1', port: 5000 }, destination: { address: '::ffff:198.51.100.2', port: 443 } },
      'PROXY TCP4 192.0.2.1 198.51.100.2 5000 443\r\n',
    ],
    [
      { source: { address: '2001:db8::1', port: 5000 }, destination: { address: '192.0.2.9', port: 443 } },
      'PROXY TCP6 2001:db8::1 ::ffff:192.0.2.9 5000 443\r\n',
    ],
    [{ source: { address: '192.0.2.1', port: 1 } }, 'PROXY UNKNOWN\r\n'],
    [{}, 'PROXY UNKNOWN\r\n'],
  ];
  for (const [addresses, text] of cases) {
    const header = encodeProxyHeaderV1(addresses);
    assert.is(header.toString(), text);
    assert.ok(parseProxyHeader(header).done);
  }
  assert.throws(
    () => encodeProxyHeaderV1({ source: { address: 'not-ip', port: 1 }, destination: { address: '::1', port: 2 } }),
    (e: { code: string }) => e.code === 'ERR_TUNNEL_PROXY_BAD_ADDRESS',
  );
});

test('v2 encoder round-trips through the parser, including LOCAL and UNSPEC', () => {
  const tcp6 = encodeProxyHeaderV2({ source: { address: '2001:db8::1', port: 5000 }, destination: { address: '::1', port: 443 } });
  const parsed = parseProxyHeader(tcp6);
  assert.ok(parsed.done);
  if (parsed.done)
    assert.equal(
      [parsed.value.family, parsed.value.source, parsed.value.destination],
      ['tcp6', { address: '2001:db8::1', port: 5000 }, { address: '::1', port: 443 }],
    );
  const tcp4 = encodeProxyHeaderV2({ source: { address: '192.0.2.1', port: 1 }, destination: { address: '192.0.2.2', port: 2 } });
  assert.is(tcp4.toString('hex'), `${V2_SIGNATURE.toString('hex')}2111000cc0000201c000020200010002`);
  const local = parseProxyHeader(encodeProxyHeaderV2({}, { local: true }));
  assert.ok(local.done && local.value.command === 'local');
  const unspec = parseProxyHeader(encodeProxyHeaderV2({}));
  assert.ok(unspec.done && unspec.value.command === 'proxy' && unspec.value.family === 'unknown');
});

test.run();
