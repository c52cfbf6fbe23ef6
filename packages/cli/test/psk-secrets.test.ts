import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePskSecrets } from '../src/psk-secrets.js';

const HEX = '00112233445566778899aabbccddeeff';

// Each row: file text → identities with their keys (hex), or the bad line and a piece of its message.
// Expectations follow stunnel 5.68's own reading of the same files (checked against Debian's stunnel4).
const good: Array<[string, string, Array<[string, string]>]> = [
  ['a hex key is converted to its 16 bytes', `a:${HEX}\n`, [['a', HEX]]],
  ['upper-case hex digits are hex too', `a:${HEX.toUpperCase()}`, [['a', HEX]]],
  ['an odd number of hex digits is a text key', `a:${HEX}0\n`, [['a', Buffer.from(`${HEX}0`).toString('hex')]]],
  ['a text key of 16+ bytes is taken as its bytes', 'a:sixteen-bytes!!!', [['a', Buffer.from('sixteen-bytes!!!').toString('hex')]]],
  ['empty lines and CRLF endings are fine', `\r\na:${HEX}\r\n\r\n`, [['a', HEX]]],
  [
    'the identity ends at the first colon; the key may hold colons',
    'a b:key:with:colons:ok',
    [['a b', Buffer.from('key:with:colons:ok').toString('hex')]],
  ],
  ['an empty identity is allowed', `:${HEX}`, [['', HEX]]],
  ['a repeated identity keeps its first key', `a:${HEX}\na:another-key-16-bytes`, [['a', HEX]]],
  [
    'identities keep file order (the first is the client default)',
    `z:${HEX}\ny:${HEX}`,
    [
      ['z', HEX],
      ['y', HEX],
    ],
  ],
];

const bad: Array<[string, string, number, RegExp]> = [
  ['a line without a colon', `a:${HEX}\nnocolon\n`, 2, /IDENTITY:KEY/],
  ['a comment line (stunnel has none in this file)', `# keys\na:${HEX}`, 1, /IDENTITY:KEY/],
  ['20 decimal digits are 10 hex bytes: too short (5.68)', 'a:12345678901234567890', 1, /10 bytes \(hexadecimal\)/],
  ['a short text key', 'a:short', 1, /5 bytes \(text\); at least 16/],
  ['an empty file', '\n\n', 1, /no IDENTITY:KEY line/],
  ['an identity over 256 bytes', `${'i'.repeat(257)}:${HEX}`, 1, /identity longer than 256/],
  ['a key over 512 bytes', `a:${'k'.repeat(513)}`, 1, /key longer than 512/],
];

for (const [name, text, expected] of good) {
  test(
    `PSKsecrets: ${name}`,
    timed(() => {
      const parsed = parsePskSecrets(text);
      assert.ok('secrets' in parsed, JSON.stringify(parsed));
      if (!('secrets' in parsed)) return;
      assert.equal(
        [...parsed.secrets].map(([identity, key]) => [identity, key.toString('hex')]),
        expected,
      );
    }, 2000),
  );
}

for (const [name, text, line, message] of bad) {
  test(
    `PSKsecrets refuses ${name}, naming line ${line}`,
    timed(() => {
      const parsed = parsePskSecrets(text);
      assert.ok('problem' in parsed);
      if (!('problem' in parsed)) return;
      assert.is(parsed.problem.line, line);
      assert.match(parsed.problem.message, message);
    }, 2000),
  );
}

test(
  'PSKsecrets refuses a file over 1 MiB before reading its lines',
  timed(() => {
    const parsed = parsePskSecrets('x'.repeat(1024 * 1024 + 1));
    assert.ok('problem' in parsed && /larger than/.test(parsed.problem.message));
  }, 2000),
);

test.run();
