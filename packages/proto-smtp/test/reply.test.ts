import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { advertisesStartTls, parseReplyLine, readReply, rewriteGreeting } from '../src/index.js';
import { writeChunked } from './context.js';

const lines: [string, ReturnType<typeof parseReplyLine>][] = [
  ['250 OK', { code: 250, last: true, text: 'OK' }],
  ['250-mx.example', { code: 250, last: false, text: 'mx.example' }],
  ['220', { code: 220, last: true, text: '' }],
  ['554 5.7.1 no', { code: 554, last: true, text: '5.7.1 no' }],
  ['250-', { code: 250, last: false, text: '' }],
  ['HTTP/1.1 200 OK', undefined],
  ['25 short', undefined],
  ['2500 long', undefined],
  ['650 out of range', undefined],
  ['', undefined],
  ['250_x', undefined],
];

for (const [line, expected] of lines) {
  test(`parseReplyLine reads ${JSON.stringify(line)} as ${expected === undefined ? 'not a reply' : `${expected.code}/${expected.last ? 'last' : 'more'}`}`, () => {
    assert.equal(parseReplyLine(line), expected);
  });
}

test('advertisesStartTls finds the keyword in EHLO lines after the first, case-insensitively', () => {
  assert.ok(advertisesStartTls(['250-mx', '250-PIPELINING', '250 starttls']));
  assert.not.ok(advertisesStartTls(['250-STARTTLS', '250 8BITMIME']));
  assert.not.ok(advertisesStartTls(['250-mx', '250 STARTTLSX']));
});

test('rewriteGreeting marks the domain as stunnel does and keeps the rest', () => {
  assert.equal(rewriteGreeting('220 mx.example ESMTP Postfix'), { line: '220 mx.example stunnel for ESMTP Postfix', domain: 'mx.example' });
  assert.equal(rewriteGreeting('220-mx.example'), { line: '220-mx.example stunnel', domain: 'mx.example' });
  assert.equal(rewriteGreeting('220'), { line: '220 localhost stunnel', domain: 'localhost' });
});

const wire = '250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\nLEFT';
for (const size of [0, 1, 3]) {
  test(
    `readReply reads a multi-line reply ${size === 0 ? 'in one chunk' : `${size} byte(s) at a time`} and leaves the rest buffered`,
    timed(async () => {
      const [peer, side] = socketPair();
      const channel = new StreamChannel(side);
      const written = size === 0 ? Promise.resolve(void peer.write(wire)) : writeChunked(peer, wire, size);
      const reply = await readReply(channel);
      assert.is(reply.code, 250);
      assert.equal(reply.lines, ['250-mx.example', '250-PIPELINING', '250-STARTTLS', '250 8BITMIME']);
      await written;
      assert.is((await channel.readBytes(4)).toString(), 'LEFT');
    }),
  );
}

const faults: [string, string, object, string][] = [
  ['garbage', 'SSH-2.0-OpenSSH\r\n', {}, 'ERR_TUNNEL_SMTP_BAD_REPLY'],
  ['a code change inside one reply', '250-a\r\n251 b\r\n', {}, 'ERR_TUNNEL_SMTP_BAD_REPLY'],
  ['too many continuation lines', '250-x\r\n'.repeat(5), { maxLines: 4 }, 'ERR_TUNNEL_SMTP_TOO_MANY_LINES'],
  ['an over-long line', `250 ${'x'.repeat(2000)}\r\n`, {}, 'ERR_TUNNEL_LINE_TOO_LONG'],
  ['an over-long line without end', `250 ${'x'.repeat(2000)}`, {}, 'ERR_TUNNEL_LINE_TOO_LONG'],
  ['an early close mid-reply', '250-a\r\n250-b', {}, 'ERR_TUNNEL_PEER_CLOSED'],
];
for (const [what, input, options, code] of faults) {
  test(
    `readReply fails with ${code} on ${what}`,
    timed(async () => {
      const [peer, side] = socketPair();
      const channel = new StreamChannel(side);
      peer.write(input);
      peer.end();
      try {
        await readReply(channel, options);
        assert.unreachable('should have failed');
      } catch (error) {
        assert.is((error as { code?: string }).code, code);
      }
    }),
  );
}

test.run();
