import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { splitPem, toPem } from '../src/pem.js';

test('splitPem returns every block in order and skips text between them', () => {
  const text = `header\n${toPem('CERTIFICATE', Buffer.from([1, 2, 3]))}noise\n${toPem('X509 CRL', Buffer.alloc(100, 7))}`;
  const blocks = splitPem(text);
  assert.equal(
    blocks.map((block) => block.label),
    ['CERTIFICATE', 'X509 CRL'],
  );
  assert.equal([...(blocks[0]?.der ?? [])], [1, 2, 3]);
  assert.is(blocks[1]?.der.length, 100);
});

test('splitPem handles CRLF line ends and ignores an unterminated block', () => {
  const crlf = toPem('CERTIFICATE', Buffer.from('abc')).replace(/\n/g, '\r\n');
  assert.is(splitPem(`${crlf}-----BEGIN CERTIFICATE-----\nAAAA\n`).length, 1);
});

test('splitPem rejects a body that is not base64', () => {
  assert.throws(() => splitPem('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n'), /not base64/);
});

test.run();
