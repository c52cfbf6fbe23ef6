import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decodeTlsTlvs,
  encodeProxyHeaderV2,
  encodeTlsTlvs,
  PP2_CLIENT,
  type ParseResult,
  parseProxyHeader,
  type ProxyHeader,
  proxyTlv,
  serializeTlvs,
  tlsTlvsOf,
  V2_SIGNATURE,
} from '../src/index.js';

const addresses = { source: { address: '192.0.2.1', port: 50000 }, destination: { address: '198.51.100.2', port: 443 } };

function byteAtATime(bytes: Buffer): ProxyHeader {
  for (let end = 0; end <= bytes.length; end += 1) {
    const result: ParseResult<ProxyHeader> = parseProxyHeader(bytes.subarray(0, end));
    if (result.done) {
      assert.is(result.length, bytes.length);
      return result.value;
    }
    assert.ok(end + result.needed <= bytes.length, `needed ${result.needed} at ${end} reaches past the header`);
  }
  throw new Error('never finished');
}

test(
  'the TLS TLVs are laid out as §2.2 says: ALPN, AUTHORITY, then SSL with client, verify and its sub-TLVs',
  timed(() => {
    const tlvs = encodeTlsTlvs({
      alpn: 'h2',
      authority: 'x.example',
      ssl: { client: 0x07, verify: 0, version: 'TLSv1.3', cn: 'alice', cipher: 'TLS_AES_128_GCM_SHA256' },
    });
    assert.equal(
      tlvs.map((record) => record.type),
      [0x01, 0x02, 0x20],
    );
    const bytes = serializeTlvs(tlvs);
    assert.is(bytes.subarray(0, 5).toString('hex'), '0100026832');
    const ssl = tlvs[2]?.value ?? Buffer.alloc(0);
    assert.is(ssl.subarray(0, 5).toString('hex'), '0700000000', 'client byte then verify as a 32-bit big-endian 0');
    assert.is(ssl.subarray(5, 8).toString('hex'), '210007', 'PP2_SUBTYPE_SSL_VERSION, length 7');
    assert.is(ssl.subarray(8, 15).toString(), 'TLSv1.3');
    assert.is(ssl.subarray(15, 18).toString('hex'), '220005', 'PP2_SUBTYPE_SSL_CN, length 5');
  }),
);

const cases: Array<[string, Parameters<typeof encodeTlsTlvs>[0]]> = [
  ['every field', { alpn: 'h2', authority: 'x.example', ssl: { client: 7, verify: 0, version: 'TLSv1.2', cn: 'a', cipher: 'c' } }],
  [
    'SSL without a client certificate',
    { ssl: { client: PP2_CLIENT.SSL, verify: 1, version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } },
  ],
  ['only SNI', { authority: 'only.example' }],
  ['a UTF-8 CN', { ssl: { client: 3, verify: 0, cn: 'Zoë' } }],
];

for (const [name, info] of cases) {
  test(
    `TLS TLVs round-trip through a v2 header read byte at a time: ${name}`,
    timed(() => {
      const header = encodeProxyHeaderV2(addresses, { tlvs: encodeTlsTlvs(info) });
      const parsed = byteAtATime(header);
      assert.is(parsed.source?.address, '192.0.2.1');
      const expected = {
        alpn: info.alpn,
        authority: info.authority,
        ssl:
          info.ssl === undefined
            ? undefined
            : { version: undefined, cn: undefined, cipher: undefined, sigAlg: undefined, keyAlg: undefined, ...info.ssl },
      };
      assert.equal(parsed.tls, expected);
    }),
  );
}

test(
  'TLVs ride on an UNSPEC header too, and a header without TLS TLVs has no tls field',
  timed(() => {
    const parsed = byteAtATime(encodeProxyHeaderV2({}, { tlvs: encodeTlsTlvs({ authority: 'a.example' }) }));
    assert.is(parsed.family, 'unknown');
    assert.is(parsed.tls?.authority, 'a.example');
    assert.is(byteAtATime(encodeProxyHeaderV2(addresses)).tls, undefined);
  }),
);

const v2 = (tlvHex: string) => {
  const body = Buffer.concat([Buffer.from('c0000201c6336402c35001bb', 'hex'), Buffer.from(tlvHex.replace(/\s+/g, ''), 'hex')]);
  const head = Buffer.from([0x21, 0x11, 0, 0]);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, head, body]);
};

const malformed: Array<[string, string]> = [
  ['an SSL TLV shorter than 5 bytes', '20 0004 01000000'],
  ['a sub-TLV header cut short', '20 0007 0100000000 2100'],
  ['a sub-TLV running past the SSL TLV', '20 000a 0100000000 210005 7878'],
  ['the same sub-TLV twice', '20 000d 0100000000 210001 78 210001 79'],
  ['AUTHORITY twice', '02 0001 61 02 0001 62'],
];

for (const [name, hex] of malformed) {
  test(
    `a malformed TLS TLV is refused with ERR_TUNNEL_PROXY_BAD_TLV: ${name}`,
    timed(() => {
      try {
        parseProxyHeader(v2(hex));
        assert.unreachable();
      } catch (error) {
        assert.is((error as { code: string }).code, 'ERR_TUNNEL_PROXY_BAD_TLV');
      }
    }),
  );
}

test(
  'unknown and custom TLVs are kept raw and do not disturb the TLS view',
  timed(() => {
    const parsed = parseProxyHeader(v2('e0 0002 abcd 01 0002 6832'));
    assert.ok(parsed.done);
    if (!parsed.done) return;
    assert.equal(parsed.value.tls, { alpn: 'h2', authority: undefined, ssl: undefined });
    assert.is(parsed.value.tlvs?.length, 2);
    assert.is(decodeTlsTlvs([{ type: 0xe0, value: Buffer.from('x') }]), undefined);
  }),
);

test(
  'protocolTlv = yes needs protocolVersion = 2, and takes only yes or no',
  timed(() => {
    assert.is(proxyTlv({ extra: { version: '2', tlv: 'yes' } }), true);
    assert.is(proxyTlv({ extra: { version: '2', tlv: 'No' } }), false);
    assert.is(proxyTlv({}), false);
    for (const extra of [{ tlv: 'yes' }, { version: '1', tlv: 'yes' }, { version: '2', tlv: 'maybe' }] as Record<string, string>[]) {
      try {
        proxyTlv({ extra });
        assert.unreachable(JSON.stringify(extra));
      } catch (error) {
        assert.is((error as { code: string }).code, 'ERR_TUNNEL_PROXY_BAD_OPTION');
      }
    }
  }),
);

test(
  'the flags follow the socket: CERT_CONN only without resumption, verify 0 only for an authorized certificate',
  timed(() => {
    const info = {
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      servername: 'x',
      alpnProtocol: false as const,
      peerSubject: '/CN=alice/OU=ops',
      peerIssuer: '/CN=ca',
    };
    const ssl = (socket: unknown) => decodeTlsTlvs(tlsTlvsOf(info, socket))?.ssl;
    assert.equal(ssl({ authorized: true, isSessionReused: () => false }), {
      client: 7,
      verify: 0,
      version: 'TLSv1.3',
      cn: 'alice',
      cipher: 'TLS_AES_256_GCM_SHA384',
      sigAlg: undefined,
      keyAlg: undefined,
    });
    assert.is(ssl({ authorized: true, isSessionReused: () => true })?.client, PP2_CLIENT.SSL | PP2_CLIENT.CERT_SESS);
    assert.is(ssl({ authorized: false })?.verify, 1);
    const none = decodeTlsTlvs(tlsTlvsOf({ ...info, peerSubject: undefined }, { authorized: false }));
    assert.equal([none?.ssl?.client, none?.ssl?.verify, none?.ssl?.cn, none?.alpn], [PP2_CLIENT.SSL, 1, undefined, undefined]);
  }),
);

test.run();
