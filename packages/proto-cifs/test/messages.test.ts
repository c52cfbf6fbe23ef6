import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMPTY_SESSION_REQUEST, judgeAnswerHeader, judgeErrorCode, parseHeader, RESPONSE_REFUSED, RESPONSE_USE_SSL } from '../src/index.js';

test('the wire constants are the bytes stunnel sends', () => {
  assert.equal([...EMPTY_SESSION_REQUEST], [0x81, 0, 0, 0]);
  assert.equal([...RESPONSE_USE_SSL], [0x83, 0, 0, 1, 0x8e]);
  assert.equal([...RESPONSE_REFUSED], [0x83, 0, 0, 1, 0x81]);
});

const headers: [string, number[], { type: number; flags: number; length: number }][] = [
  ['an empty session request', [0x81, 0, 0, 0], { type: 0x81, flags: 0, length: 0 }],
  ['a session request with names', [0x81, 0, 0, 68], { type: 0x81, flags: 0, length: 68 }],
  ['a 16-bit length', [0x00, 0, 0x12, 0x34], { type: 0, flags: 0, length: 0x1234 }],
  ['the extension bit set (ignored, as stunnel does)', [0x00, 1, 0, 4], { type: 0, flags: 1, length: 4 }],
];
for (const [name, bytes, expected] of headers) {
  test(`parses the header of ${name}`, () => {
    assert.equal(parseHeader(Buffer.from(bytes)), expected);
  });
}

test('refuses to parse fewer than 4 header bytes', () => {
  assert.throws(() => parseHeader(Buffer.from([0x83, 0])), RangeError);
});

const answers: [string, number[], string][] = [
  ['a negative response of length 1', [0x83, 0, 0, 1], 'use-ssl'],
  ['a positive session response', [0x82, 0, 0, 0], 'not-negative-response'],
  ['a retarget response', [0x84, 0, 0, 6], 'not-negative-response'],
  ['a negative response of length 2', [0x83, 0, 0, 2], 'bad-length'],
  ['a negative response of length 257', [0x83, 0, 1, 1], 'bad-length'],
];
for (const [name, bytes, verdict] of answers) {
  test(`judges ${name} as ${verdict}`, () => {
    assert.is(judgeAnswerHeader(parseHeader(Buffer.from(bytes))), verdict);
  });
}

const codes: [number, string][] = [
  [0x8e, 'use-ssl'],
  [0x80, 'no-ssl'],
  [0x81, 'no-ssl'],
  [0x82, 'no-ssl'],
  [0x8f, 'no-ssl'],
];
for (const [code, verdict] of codes) {
  test(`judges error code 0x${code.toString(16)} as ${verdict}`, () => {
    assert.is(judgeErrorCode(code), verdict);
  });
}

test.run();
