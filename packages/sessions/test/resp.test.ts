import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeCommand, isErrorReply, parseReply, type RespValue } from '../src/index.js';

test('a command is an array of binary-safe bulk strings', () => {
  assert.is(encodeCommand(['GET', 'k']).toString('latin1'), '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
  const binary = encodeCommand(['SET', Buffer.from([0, 13, 10, 255])]);
  assert.equal(binary, Buffer.concat([Buffer.from('*2\r\n$3\r\nSET\r\n$4\r\n'), Buffer.from([0, 13, 10, 255]), Buffer.from('\r\n')]));
});

const replies: Array<[string, string, RespValue]> = [
  ['simple string', '+OK\r\n', 'OK'],
  ['error', '-ERR wrong type\r\n', { error: 'ERR wrong type' }],
  ['integer', ':-42\r\n', -42],
  ['null bulk', '$-1\r\n', null],
  ['empty bulk', '$0\r\n\r\n', Buffer.alloc(0)],
  ['bulk with CRLF inside', '$4\r\na\r\nb\r\n', Buffer.from('a\r\nb')],
  ['array', '*3\r\n:1\r\n$1\r\nx\r\n*1\r\n+y\r\n', [1, Buffer.from('x'), ['y']]],
  ['null array', '*-1\r\n', null],
];

for (const [name, wire, expected] of replies) {
  test(`parses ${name} whole, byte at a time, and split at every point`, () => {
    const bytes = Buffer.from(wire, 'latin1');
    const whole = parseReply(bytes);
    assert.equal(whole?.value, expected);
    assert.is(whole?.next, bytes.length);
    for (let cut = 0; cut < bytes.length; cut += 1) {
      assert.is(parseReply(bytes.subarray(0, cut)), undefined, `incomplete at ${cut}`);
    }
    // Two replies back to back: the second starts where the first ended.
    const twice = Buffer.concat([bytes, bytes]);
    const first = parseReply(twice);
    assert.equal(parseReply(twice, first?.next)?.value, expected);
  });
}

test('an error reply is told apart from values', () => {
  assert.ok(isErrorReply({ error: 'x' }));
  for (const value of ['OK', 1, null, Buffer.from('x'), []] as RespValue[]) assert.not.ok(isErrorReply(value));
});

const limits = { maxBulkBytes: 8, maxArrayLength: 2, maxDepth: 2, maxLineBytes: 16 };
const hostile: Array<[string, string]> = [
  ['unknown type byte', '!x\r\n'],
  ['bulk longer than the limit', '$9\r\n123456789\r\n'],
  ['negative bulk length', '$-2\r\n'],
  ['bulk without its CRLF', '$1\r\nxyz'],
  ['non-numeric length', '$abc\r\n'],
  ['array longer than the limit', '*3\r\n:1\r\n:2\r\n:3\r\n'],
  ['arrays nested too deep', '*1\r\n*1\r\n*1\r\n:1\r\n'],
  ['a line with no end', `+${'x'.repeat(40)}`],
  ['a line over the limit', `+${'x'.repeat(40)}\r\n`],
];

for (const [name, wire] of hostile) {
  test(`refuses ${name} with ERR_TUNNEL_SESSIONS_RESP_MALFORMED`, () => {
    try {
      parseReply(Buffer.from(wire, 'latin1'), 0, limits);
      assert.unreachable('accepted');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SESSIONS_RESP_MALFORMED');
    }
  });
}

test.run();
