import type { Duplex } from 'node:stream';
import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptTlsRequest, EMPTY_SESSION_REQUEST, protocol, RESPONSE_REFUSED, RESPONSE_USE_SSL } from '../src/index.js';
import { makeContext, rejection, writeSlowly } from './context.js';

/** A session request carrying two 34-byte encoded NetBIOS names, as smbclient sends. */
const namedRequest = Buffer.concat([Buffer.from([0x81, 0, 0, 68]), Buffer.alloc(68, 0x41)]);

const deliveries: [string, (stream: Duplex, data: Buffer) => Promise<void>][] = [
  ['in one chunk', async (s, d) => void s.write(d)],
  ['byte at a time', writeSlowly],
];
for (const [name, request] of [
  ['an empty session request', EMPTY_SESSION_REQUEST],
  ['a session request with names', namedRequest],
] as const) {
  for (const [how, deliver] of deliveries) {
    test(
      `server mode answers "use SSL" to ${name} delivered ${how}`,
      timed(async () => {
        const t = makeContext('server');
        const running = protocol.preConnect!(t.context);
        await deliver(t.client, request);
        await running;
        assert.equal(await new StreamChannel(t.client).readBytes(5), RESPONSE_USE_SSL);
        assert.is(t.server.read(), null, 'nothing reaches the upstream');
        t.close();
      }),
    );
  }
}

test(
  'server mode answers a keepalive with the refusal stunnel sends and rejects',
  timed(async () => {
    const t = makeContext('server');
    const running = protocol.preConnect!(t.context);
    t.client.write(Buffer.from([0x85, 0, 0, 0]));
    assert.is((await rejection(running)).code, 'ERR_TUNNEL_CIFS_NOT_SESSION_REQUEST');
    assert.equal(t.client.read(), RESPONSE_REFUSED);
    t.close();
  }),
);

const rejected: [string, Buffer, string][] = [
  ['a body longer than 124 bytes', Buffer.from([0x81, 0, 0, 125]), 'ERR_TUNNEL_CIFS_TOO_LONG'],
  [
    'an SMB2 negotiate sent without a session request',
    Buffer.from([0x00, 0, 0x01, 0x00, 0xfe, 0x53, 0x4d, 0x42]),
    'ERR_TUNNEL_CIFS_TOO_LONG',
  ],
  ['HTTP garbage', Buffer.from('GET / HTTP/1.0\r\n\r\n'), 'ERR_TUNNEL_CIFS_TOO_LONG'],
  ['a session request followed by plaintext', Buffer.concat([EMPTY_SESSION_REQUEST, Buffer.from('x')]), 'ERR_TUNNEL_CIFS_UNEXPECTED_DATA'],
];
for (const [name, bytes, code] of rejected) {
  test(
    `server mode rejects ${name} with ${code} and answers nothing`,
    timed(async () => {
      const t = makeContext('server');
      const running = protocol.preConnect!(t.context);
      t.client.write(bytes);
      assert.is((await rejection(running)).code, code);
      assert.is(t.client.read(), null);
      t.close();
    }),
  );
}

test(
  'server mode fails with ERR_TUNNEL_PEER_CLOSED when the client closes mid-body',
  timed(async () => {
    const t = makeContext('server');
    const running = protocol.preConnect!(t.context);
    t.client.end(namedRequest.subarray(0, 20));
    assert.is((await rejection(running)).code, 'ERR_TUNNEL_PEER_CLOSED');
    t.close();
  }),
);

test(
  'server-mode preTls does nothing',
  timed(async () => {
    const t = makeContext('server');
    await protocol.preTls!(t.context);
    assert.is(t.client.read(), null);
    assert.is(t.server.read(), null);
    t.close();
  }),
);

test(
  'acceptTlsRequest works on a bare Duplex',
  timed(async () => {
    const [mine, theirs] = socketPair();
    const running = acceptTlsRequest(mine);
    theirs.write(EMPTY_SESSION_REQUEST);
    await running;
    assert.equal(await new StreamChannel(theirs).readBytes(5), RESPONSE_USE_SSL);
    mine.destroy();
    theirs.destroy();
  }),
);

test.run();
