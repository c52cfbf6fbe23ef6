import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isServiceAvailable, parseReply, printable } from '../src/index.js';

const good: [string, number, string][] = [
  [
    '200 news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)',
    200,
    'news.example.com InterNetNews NNRP server INN 2.7.1 ready (posting ok)',
  ],
  ['201 read only', 201, 'read only'],
  ['382 Continue with TLS negotiation', 382, 'Continue with TLS negotiation'],
  ['580 Can not initiate TLS negotiation', 580, 'Can not initiate TLS negotiation'],
  ['200', 200, ''],
  ['200 ', 200, ''],
  ['400 ', 400, ''],
];
for (const [line, code, text] of good) {
  test(`parses "${line}" as ${code}`, () => {
    assert.equal(parseReply(line), { code, text });
  });
}

const bad = ['', '20', '2000 x', '200x', ' 200 x', '099 x', '600 x', 'HELLO', '* OK IMAP', '+OK POP3', '2OO ok'];
for (const line of bad) {
  test(`refuses "${line}" with ERR_TUNNEL_NNTP_BAD_REPLY`, () => {
    try {
      parseReply(line);
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_NNTP_BAD_REPLY');
    }
  });
}

const greetings: [number, boolean][] = [
  [200, true],
  [201, true],
  [400, false],
  [502, false],
  [382, false],
];
for (const [code, available] of greetings) {
  test(`greeting ${code} ${available ? 'is' : 'is not'} "service available"`, () => {
    assert.is(isServiceAvailable({ code, text: '' }), available);
  });
}

test('printable escapes control characters and cuts long text', () => {
  assert.is(printable('a\x1b[31mb\x00'), 'a\\x1b[31mb\\x00');
  assert.is(printable('x'.repeat(10), 4), 'xxxx…');
});

test.run();
