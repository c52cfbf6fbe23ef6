import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  encodeExtendedRequest,
  encodeExtendedResponse,
  type ParseResult,
  parseExtendedRequest,
  parseExtendedResponse,
  STARTTLS_OID,
  startTlsLdap,
} from '../src/index.js';

test('the StartTLS request is the exact RFC 4511 §4.14.1 encoding', () => {
  const expected = Buffer.concat([Buffer.from('301d02010177188016', 'hex'), Buffer.from(STARTTLS_OID)]);
  assert.equal(encodeExtendedRequest(1), expected);
  const parsed = parseExtendedRequest(expected);
  assert.ok(parsed.done && parsed.value.requestName === STARTTLS_OID && parsed.value.messageId === 1);
});

function byteAtATime<T>(parse: (bytes: Buffer) => ParseResult<T>, bytes: Buffer): T {
  for (let end = 0; end <= bytes.length; end += 1) {
    const result = parse(bytes.subarray(0, end));
    if (result.done) return result.value;
    assert.ok(end + result.needed <= bytes.length, `needed ${result.needed} at ${end} reaches past the message`);
  }
  throw new Error('never finished');
}

test('responses round-trip, whole and byte at a time, including long-form lengths and large message IDs', () => {
  const responses = [
    { messageId: 1, resultCode: 0, matchedDN: '', diagnosticMessage: '', responseName: STARTTLS_OID },
    { messageId: 200, resultCode: 2, matchedDN: '', diagnosticMessage: 'unsupported extended operation', responseName: undefined },
    { messageId: 2 ** 31 - 1, resultCode: 52, matchedDN: 'dc=example', diagnosticMessage: 'x'.repeat(300), responseName: undefined },
  ];
  for (const response of responses) {
    const bytes = encodeExtendedResponse(response);
    assert.equal(byteAtATime(parseExtendedResponse, bytes), response);
  }
});

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const bad: [string, Buffer, string][] = [
  ['not a SEQUENCE', Buffer.from('HTTP/1.1 400'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE'],
  ['an indefinite length', hex('30 80 0000'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE'],
  ['a 5-byte length', hex('30 85 0000000001'), 'ERR_TUNNEL_LDAP_TOO_LONG'],
  ['a 1 MiB message', hex('30 83 100000'), 'ERR_TUNNEL_LDAP_TOO_LONG'],
  ['a BindResponse instead', hex('300c 020101 6107 0a0100 0400 0400'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE'],
  ['no messageID', hex('3009 0401 01 7804 0a0100 04'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE'],
  ['an element running past its container', hex('300a 020101 7805 0a0900 0400'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE'],
  ['a negative resultCode', hex('300c 020101 7807 0a01ff 0400 0400'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE'],
  ['a missing diagnosticMessage', hex('300a 020101 7805 0a0100 0400'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE'],
  ['an unknown trailing element', hex('300e 020101 7809 0a0100 0400 0400 8500'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE'],
];
for (const [name, bytes, code] of bad) {
  test(`a response with ${name} fails with ${code}`, () => {
    try {
      const result = parseExtendedResponse(bytes);
      assert.unreachable(JSON.stringify(result));
    } catch (error) {
      assert.is((error as { code: string }).code, code);
    }
  });
}

test('a request that is not an ExtendedRequest is ERR_TUNNEL_LDAP_NOT_STARTTLS', () => {
  // A BindRequest (simple, anonymous): what a client sends when it does not do StartTLS first.
  assert.throws(
    () => parseExtendedRequest(hex('300c 020101 6007 020103 0400 8000')),
    (error: { code: string }) => error.code === 'ERR_TUNNEL_LDAP_NOT_STARTTLS',
  );
});

async function scripted(reply: Buffer): Promise<{ error?: { code: string; message: string }; channel: StreamChannel }> {
  const [ours, server] = socketPair();
  server.once('data', () => server.write(reply));
  const channel = new StreamChannel(ours);
  try {
    await startTlsLdap(channel);
    return { channel };
  } catch (error) {
    return { channel, error: error as { code: string; message: string } };
  }
}

test(
  'startTlsLdap resolves on success and leaves bytes sent after the response buffered (core rejects them)',
  timed(async () => {
    const ok = encodeExtendedResponse({ messageId: 1, resultCode: 0, matchedDN: '', diagnosticMessage: '' });
    const { error, channel } = await scripted(Buffer.concat([ok, Buffer.from('INJECTED')]));
    assert.is(error, undefined);
    assert.is(channel.buffered, 8);
  }),
);

test(
  'startTlsLdap rejects a refusal, a Notice of Disconnection and garbage with specific codes',
  timed(async () => {
    const cases: [Buffer, string, RegExp][] = [
      [
        encodeExtendedResponse({ messageId: 1, resultCode: 52, matchedDN: '', diagnosticMessage: 'unavailable' }),
        'ERR_TUNNEL_LDAP_STARTTLS_REFUSED',
        /52 unavailable/,
      ],
      [
        encodeExtendedResponse({
          messageId: 0,
          resultCode: 52,
          matchedDN: '',
          diagnosticMessage: 'bye',
          responseName: '1.3.6.1.4.1.1466.20036',
        }),
        'ERR_TUNNEL_LDAP_STARTTLS_REFUSED',
        /message 0/,
      ],
      [Buffer.from('garbage'), 'ERR_TUNNEL_LDAP_BAD_MESSAGE', /LDAPMessage/],
    ];
    for (const [reply, code, message] of cases) {
      const { error } = await scripted(reply);
      assert.is(error?.code, code);
      assert.match(error?.message ?? '', message);
    }
  }),
);

test.run();
