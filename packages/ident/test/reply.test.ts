import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatIdentQuery, type IdentReply, IdentError, parseIdentReply } from '../src/index.js';

const good: [string, IdentReply][] = [
  [
    '6193, 23 : USERID : UNIX : stjohns',
    { type: 'USERID', serverPort: 6193, clientPort: 23, opsys: 'UNIX', charset: undefined, userId: 'stjohns' },
  ],
  ['6195, 23 : ERROR : NO-USER', { type: 'ERROR', serverPort: 6195, clientPort: 23, error: 'NO-USER' }],
  [
    '38028,45237:USERID:UNIX:root',
    { type: 'USERID', serverPort: 38028, clientPort: 45237, opsys: 'UNIX', charset: undefined, userId: 'root' },
  ],
  [
    '1,2:userid:OTHER , UTF-8 :  a:b c ',
    { type: 'USERID', serverPort: 1, clientPort: 2, opsys: 'OTHER', charset: 'UTF-8', userId: 'a:b c ' },
  ],
  ['1 , 2 : ERROR : HIDDEN-USER ', { type: 'ERROR', serverPort: 1, clientPort: 2, error: 'HIDDEN-USER' }],
  ['65535,1:ERROR:X-CUSTOM', { type: 'ERROR', serverPort: 65535, clientPort: 1, error: 'X-CUSTOM' }],
];
for (const [line, reply] of good) {
  test(`reply ${JSON.stringify(line)} parses`, () => {
    assert.equal(parseIdentReply(line), reply);
  });
}

const bad: [string, string][] = [
  ['', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['garbage', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2:USERID', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2:USERID:UNIX', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2:USERID:UNIX:', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2:USERID::root', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2:ERROR:', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2:MAYBE:x', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1:USERID:UNIX:root', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2,3:USERID:UNIX:root', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['0,2:USERID:UNIX:root', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['70000,2:USERID:UNIX:root', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['x,2:USERID:UNIX:root', 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['1,2:USERID:UNIX:ro\0ot', 'ERR_TUNNEL_IDENT_MALFORMED'],
  [`1,2:USERID:UNIX:${'u'.repeat(1000)}`, 'ERR_TUNNEL_IDENT_TOO_LONG'],
];
for (const [line, code] of bad) {
  test(`reply ${JSON.stringify(line.slice(0, 40))} is refused with ${code}`, () => {
    try {
      parseIdentReply(line);
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, IdentError);
      assert.is((error as IdentError).code, code);
    }
  });
}

test('the query names the client port first, then ours, CRLF-terminated (RFC 1413 section 6)', () => {
  assert.is(formatIdentQuery(6191, 23), '6191 , 23\r\n');
});

test.run();
