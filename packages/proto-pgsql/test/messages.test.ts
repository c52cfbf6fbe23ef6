import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildFatalError, classifyStartupPacket, GSSENC_REQUEST, parseSslAnswer, SSL_REQUEST } from '../src/index.js';

const int32s = (...values: number[]) => {
  const bytes = Buffer.alloc(values.length * 4);
  for (const [index, value] of values.entries()) bytes.writeUInt32BE(value, index * 4);
  return bytes;
};

const packets: [string, Buffer, string][] = [
  ['SSLRequest', SSL_REQUEST, 'ssl'],
  ['SSLRequest built from its numbers', int32s(8, 80877103), 'ssl'],
  ['GSSENCRequest', GSSENC_REQUEST, 'gssenc'],
  ['CancelRequest', int32s(16, 80877102), 'cancel'],
  ['StartupMessage 3.0', int32s(41, 0x00030000), 'startup'],
  ['StartupMessage with an absurd length', int32s(1_000_000, 0x00030000), 'unknown'],
  ['protocol 2.0 StartupMessage', int32s(296, 0x00020000), 'unknown'],
  ['SSLRequest with a wrong length', int32s(9, 80877103), 'unknown'],
  ['a TLS ClientHello (direct SSL)', Buffer.from('160301020001000200', 'hex'), 'unknown'],
  ['HTTP garbage', Buffer.from('GET / HTTP/1.1'), 'unknown'],
  ['fewer than 8 bytes', Buffer.from([0, 0, 0, 8]), 'unknown'],
];

for (const [name, bytes, kind] of packets) {
  test(`classifies ${name} as ${kind}`, () => {
    assert.is(classifyStartupPacket(bytes), kind);
  });
}

test('classifies a packet inside a larger buffer by its first 8 bytes only', () => {
  const big = Buffer.concat([Buffer.from([9, 9]), SSL_REQUEST, Buffer.from('tail')]);
  assert.is(classifyStartupPacket(big.subarray(2)), 'ssl');
});

const answers: [number, string][] = [
  [0x53, 'accepted'],
  [0x4e, 'refused'],
  [0x45, 'other'],
  [0x00, 'other'],
  [0x73, 'other'],
];
for (const [byte, answer] of answers) {
  test(`reads answer byte 0x${byte.toString(16)} as ${answer}`, () => {
    assert.is(parseSslAnswer(byte), answer);
  });
}

test('builds a FATAL ErrorResponse whose length word counts itself and the fields', () => {
  const message = buildFatalError('28000', 'TLS required');
  assert.is(message[0], 0x45);
  assert.is(message.readUInt32BE(1), message.length - 1);
  assert.is(message[message.length - 1], 0);
  const fields = message.subarray(5, -1).toString('utf8').split('\0').filter(Boolean);
  assert.equal(fields, ['SFATAL', 'VFATAL', 'C28000', 'MTLS required']);
});

test.run();
