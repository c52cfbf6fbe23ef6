import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptTlsRequest, GSSENC_REQUEST, protocol, SSL_REQUEST } from '../src/index.js';
import { makeContext, rejection, writeSlowly } from './context.js';

const startup = (() => {
  const body = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length + 8, 0);
  head.writeUInt32BE(0x00030000, 4);
  return Buffer.concat([head, body]);
})();

const deliveries: [string, (stream: import('node:stream').Duplex, data: Buffer) => Promise<void>][] = [
  ['in one chunk', async (s, d) => void s.write(d)],
  ['byte at a time', writeSlowly],
  [
    'split 3 + 5',
    async (s, d) => {
      s.write(d.subarray(0, 3));
      await new Promise((resolve) => setImmediate(resolve));
      s.write(d.subarray(3));
    },
  ],
];

for (const [how, deliver] of deliveries) {
  test(
    `server mode answers S to an SSLRequest delivered ${how}`,
    timed(async () => {
      const t = makeContext('server');
      const running = protocol.preConnect!(t.context);
      await deliver(t.client, SSL_REQUEST);
      await running;
      assert.equal(await new StreamChannel(t.client).readBytes(1), Buffer.from('S'));
      assert.is(t.server.read(), null, 'nothing reaches the upstream');
      t.close();
    }),
  );
}

test(
  'server mode answers N to GSSENCRequest, then S to the SSLRequest that follows',
  timed(async () => {
    const t = makeContext('server');
    const client = new StreamChannel(t.client);
    const running = protocol.preConnect!(t.context);
    t.client.write(GSSENC_REQUEST);
    assert.equal(await client.readBytes(1), Buffer.from('N'));
    t.client.write(SSL_REQUEST);
    await running;
    assert.equal(await client.readBytes(1), Buffer.from('S'));
    assert.ok(t.logs.some((line) => line.includes('GSSAPI')));
    t.close();
  }),
);

test(
  'server mode refuses a second GSSENCRequest',
  timed(async () => {
    const t = makeContext('server');
    const running = protocol.preConnect!(t.context);
    t.client.write(GSSENC_REQUEST);
    await new StreamChannel(t.client).readBytes(1);
    t.client.write(GSSENC_REQUEST);
    const error = await rejection(running);
    assert.is(error.code, 'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST');
    t.close();
  }),
);

test(
  'server mode answers a plaintext StartupMessage with a FATAL ErrorResponse and rejects',
  timed(async () => {
    const t = makeContext('server');
    const running = protocol.preConnect!(t.context);
    t.client.write(startup);
    const error = await rejection(running);
    assert.is(error.code, 'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST');
    assert.match(error.message, /StartupMessage/);
    const reply = t.client.read() as Buffer;
    assert.is(reply[0], 0x45);
    assert.match(reply.toString('utf8'), /C28000\0/);
    t.close();
  }),
);

const rejected: [string, Buffer, string][] = [
  ['a CancelRequest', Buffer.from([0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2]), 'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST'],
  ['garbage', Buffer.from('GET / HTTP/1.0\r\n\r\n'), 'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST'],
  ['a direct TLS ClientHello', Buffer.from('16030100c8010000c40303', 'hex'), 'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST'],
  ['an SSLRequest followed by plaintext', Buffer.concat([SSL_REQUEST, Buffer.from('Q')]), 'ERR_TUNNEL_PGSQL_UNEXPECTED_DATA'],
];
for (const [name, bytes, code] of rejected) {
  test(
    `server mode rejects ${name} with ${code} and answers nothing`,
    timed(async () => {
      const t = makeContext('server');
      const running = protocol.preConnect!(t.context);
      t.client.write(bytes);
      const error = await rejection(running);
      assert.is(error.code, code);
      assert.is(t.client.read(), null);
      t.close();
    }),
  );
}

test(
  'server mode fails with ERR_TUNNEL_PEER_CLOSED when the client closes mid-request',
  timed(async () => {
    const t = makeContext('server');
    const running = protocol.preConnect!(t.context);
    t.client.end(SSL_REQUEST.subarray(0, 5));
    const error = await rejection(running);
    assert.is(error.code, 'ERR_TUNNEL_PEER_CLOSED');
    t.close();
  }),
);

test(
  'server-mode preTls does nothing (client-mode dialogue only)',
  timed(async () => {
    const t = makeContext('server');
    await protocol.preTls!(t.context);
    assert.is(t.server.read(), null);
    assert.is(t.client.read(), null);
    t.close();
  }),
);

test(
  'acceptTlsRequest works on a bare Duplex and reports a refused GSSENCRequest',
  timed(async () => {
    const [mine, theirs] = socketPair();
    const running = acceptTlsRequest(mine);
    theirs.write(Buffer.concat([GSSENC_REQUEST]));
    const peer = new StreamChannel(theirs);
    assert.equal(await peer.readBytes(1), Buffer.from('N'));
    theirs.write(SSL_REQUEST);
    assert.equal(await running, { refusedGssenc: true });
    assert.equal(await peer.readBytes(1), Buffer.from('S'));
    mine.destroy();
    theirs.destroy();
  }),
);

test.run();
