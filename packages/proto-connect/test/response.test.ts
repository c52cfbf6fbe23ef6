import type { Duplex } from 'node:stream';
import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpConnect, MAX_HEADERS, md4, parseStatusLine, readResponseHead } from '../src/index.js';

test('MD4 matches every test vector of RFC 1320 §A.5', () => {
  const vectors: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of vectors) assert.is(md4(Buffer.from(input)).toString('hex'), digest, JSON.stringify(input));
});

const statusLines: [string, number | string][] = [
  ['HTTP/1.1 200 Connection established', 200],
  ['HTTP/1.0 200', 200],
  ['HTTP/1.1 407 Proxy Authentication Required', 407],
  ['HTTP/2 200 OK', 'ERR_TUNNEL_CONNECT_BAD_RESPONSE'],
  ['SSH-2.0-OpenSSH_9.2', 'ERR_TUNNEL_CONNECT_BAD_RESPONSE'],
  ['HTTP/1.1 20 short', 'ERR_TUNNEL_CONNECT_BAD_RESPONSE'],
  ['HTTP/1.1 700 nope', 'ERR_TUNNEL_CONNECT_BAD_RESPONSE'],
  ['', 'ERR_TUNNEL_CONNECT_BAD_RESPONSE'],
];
for (const [line, expected] of statusLines) {
  test(`status line ${JSON.stringify(line)} gives ${expected}`, () => {
    try {
      assert.is(parseStatusLine(line).status, expected);
    } catch (error) {
      assert.is((error as { code: string }).code, expected);
    }
  });
}

/** A scripted proxy: answers the first request head with `reply`, sent in chunks of `size`. */
function scripted(
  reply: string | Buffer,
  size = Number.MAX_SAFE_INTEGER,
): { channel: StreamChannel; request: () => string; proxy: Duplex } {
  const [ours, proxy] = socketPair();
  let received = '';
  proxy.on('data', (chunk: Buffer) => {
    const before = received;
    received += chunk.toString('latin1');
    if (!before.includes('\r\n\r\n') && received.includes('\r\n\r\n')) {
      const bytes = Buffer.from(reply);
      void (async () => {
        for (let offset = 0; offset < bytes.length; offset += size) {
          proxy.write(bytes.subarray(offset, offset + size));
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
    }
  });
  return { channel: new StreamChannel(ours), request: () => received, proxy };
}

for (const size of [1, 7, 10_000]) {
  test(
    `a 200 response in ${size}-byte chunks completes CONNECT; bytes after the head stay buffered`,
    timed(async () => {
      const { channel, request } = scripted('HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\nEARLY', size);
      const response = await httpConnect(channel, { host: 'example.org', port: 443, headers: ['X-Trace: 1'] });
      assert.is(response.status, 200);
      assert.equal(response.headers, [['via', 'test']]);
      assert.is(request(), 'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\nX-Trace: 1\r\n\r\n');
      if (size === 10_000) assert.is(channel.buffered, 5);
      assert.is((await channel.readBytes(5)).toString(), 'EARLY');
    }),
  );
}

test(
  'basic authentication sends Proxy-Authorization and brackets IPv6 targets',
  timed(async () => {
    const { channel, request } = scripted('HTTP/1.0 200 OK\r\n\r\n');
    await httpConnect(channel, { host: '2001:db8::1', port: 8443, auth: { type: 'basic', username: 'Aladdin', password: 'open sesame' } });
    assert.is(
      request(),
      'CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n',
    );
  }),
);

const failures: [string, string, string, RegExp][] = [
  [
    '407',
    'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n',
    'ERR_TUNNEL_CONNECT_AUTH_REQUIRED',
    /407/,
  ],
  ['502', 'HTTP/1.1 502 Bad Gateway\r\n\r\n', 'ERR_TUNNEL_CONNECT_REFUSED', /502 Bad Gateway/],
  ['403', 'HTTP/1.0 403 Forbidden\r\n\r\n', 'ERR_TUNNEL_CONNECT_REFUSED', /403/],
  ['garbage', 'hello there\r\n\r\n', 'ERR_TUNNEL_CONNECT_BAD_RESPONSE', /status line/],
  ['a folded header', 'HTTP/1.1 200 OK\r\nA: b\r\n  c\r\n\r\n', 'ERR_TUNNEL_CONNECT_BAD_RESPONSE', /header/],
  ['an over-long status line', `HTTP/1.1 200 ${'x'.repeat(9000)}\r\n\r\n`, 'ERR_TUNNEL_LINE_TOO_LONG', /longer/],
  [
    'too many header lines',
    `HTTP/1.1 200 OK\r\n${'A: b\r\n'.repeat(MAX_HEADERS + 1)}\r\n`,
    'ERR_TUNNEL_CONNECT_TOO_MANY_HEADERS',
    /more than/,
  ],
];
for (const [name, reply, code, message] of failures) {
  test(
    `${name} from the proxy fails with ${code}`,
    timed(async () => {
      const { channel } = scripted(reply, 3);
      try {
        await httpConnect(channel, { host: 'example.org', port: 443 });
        assert.unreachable();
      } catch (error) {
        assert.is((error as { code: string }).code, code);
        assert.match((error as Error).message, message);
      }
    }),
  );
}

test(
  'the proxy closing before the head ends fails with ERR_TUNNEL_PEER_CLOSED',
  timed(async () => {
    const [ours, proxy] = socketPair();
    proxy.end('HTTP/1.1 200 OK\r\nVia: x');
    try {
      await readResponseHead(new StreamChannel(ours));
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_PEER_CLOSED');
    }
    proxy.destroy();
  }),
);

test(
  'CR or LF in the host or a header is refused before anything is sent',
  timed(async () => {
    for (const options of [
      { host: 'a\r\nX-Evil: 1', port: 1 },
      { host: 'a', port: 1, headers: ['X: 1\r\nY: 2'] },
    ]) {
      const { channel, request } = scripted('HTTP/1.1 200 OK\r\n\r\n');
      try {
        await httpConnect(channel, options);
        assert.unreachable();
      } catch (error) {
        assert.is((error as { code: string }).code, 'ERR_TUNNEL_CONNECT_BAD_OPTION');
      }
      assert.is(request(), '');
    }
  }),
);

test.run();
