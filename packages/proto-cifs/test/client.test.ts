import type { Duplex } from 'node:stream';
import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMPTY_SESSION_REQUEST, protocol, RESPONSE_USE_SSL, requestTls } from '../src/index.js';
import { makeContext, rejection, writeSlowly } from './context.js';

const deliveries: [string, (stream: Duplex, data: Buffer) => Promise<void>][] = [
  ['in one chunk', async (s, d) => void s.write(d)],
  ['byte at a time', writeSlowly],
  [
    'split 4 + 1',
    async (s, d) => {
      s.write(d.subarray(0, 4));
      await new Promise((resolve) => setImmediate(resolve));
      s.write(d.subarray(4));
    },
  ],
];
for (const [how, deliver] of deliveries) {
  test(
    `client mode sends the empty session request and accepts "use SSL" delivered ${how}`,
    timed(async () => {
      const t = makeContext('client');
      const server = new StreamChannel(t.server);
      const running = protocol.preTls!(t.context);
      assert.equal(await server.readBytes(4), EMPTY_SESSION_REQUEST);
      await deliver(t.server, RESPONSE_USE_SSL);
      await running;
      assert.is(t.remote.buffered, 0);
      assert.is(t.client.read(), null, 'nothing is relayed to the local client');
      t.close();
    }),
  );
}

const faults: [string, Buffer | 'close', string][] = [
  ['a positive session response (no SSL)', Buffer.from([0x82, 0, 0, 0]), 'ERR_TUNNEL_CIFS_NOT_NEGATIVE_RESPONSE'],
  ['an SMB message', Buffer.from([0x00, 0, 0, 0x20, 0xff, 0x53]), 'ERR_TUNNEL_CIFS_NOT_NEGATIVE_RESPONSE'],
  ['a negative response with 2 bytes of body', Buffer.from([0x83, 0, 0, 2, 0x8e, 0]), 'ERR_TUNNEL_CIFS_BAD_LENGTH'],
  ['"called name not present" (0x82)', Buffer.from([0x83, 0, 0, 1, 0x82]), 'ERR_TUNNEL_CIFS_NO_SSL'],
  ['"unspecified error" (0x8f)', Buffer.from([0x83, 0, 0, 1, 0x8f]), 'ERR_TUNNEL_CIFS_NO_SSL'],
  ['garbage text', Buffer.from('HTTP/1.0 400 Bad\r\n'), 'ERR_TUNNEL_CIFS_NOT_NEGATIVE_RESPONSE'],
  ['"use SSL" followed by plaintext', Buffer.concat([RESPONSE_USE_SSL, Buffer.from('x')]), 'ERR_TUNNEL_CIFS_UNEXPECTED_DATA'],
  ['a close after 3 bytes', Buffer.from([0x83, 0, 0]), 'ERR_TUNNEL_PEER_CLOSED'],
  ['a close without answering', 'close', 'ERR_TUNNEL_PEER_CLOSED'],
];
for (const [name, answer, code] of faults) {
  test(
    `client mode fails with ${code} on ${name}`,
    timed(async () => {
      const t = makeContext('client');
      const running = protocol.preTls!(t.context);
      await new StreamChannel(t.server).readBytes(4);
      if (answer === 'close') t.server.end();
      else if (code === 'ERR_TUNNEL_PEER_CLOSED') t.server.end(answer);
      else t.server.write(answer);
      const error = await rejection(running);
      assert.is(error.code, code);
      t.close();
    }),
  );
}

test(
  'client mode fails on a wrong header without waiting for a fifth byte',
  timed(async () => {
    const t = makeContext('client');
    const running = protocol.preTls!(t.context);
    await new StreamChannel(t.server).readBytes(4);
    t.server.write(Buffer.from([0x82, 0, 0, 0]));
    assert.is((await rejection(running)).code, 'ERR_TUNNEL_CIFS_NOT_NEGATIVE_RESPONSE');
    t.close();
  }, 1000),
);

test(
  'requestTls works on a bare Duplex and honours its signal',
  timed(async () => {
    const [mine, theirs] = socketPair();
    const running = requestTls(mine);
    await new StreamChannel(theirs).readBytes(4);
    theirs.write(RESPONSE_USE_SSL);
    await running;
    const abort = new AbortController();
    const waiting = requestTls(mine, { signal: abort.signal });
    abort.abort(Object.assign(new Error('timeout'), { code: 'ERR_TEST_TIMEOUT' }));
    assert.is((await rejection(waiting)).code, 'ERR_TEST_TIMEOUT');
    mine.destroy();
    theirs.destroy();
  }),
);

test(
  'client-mode preConnect does nothing',
  timed(async () => {
    const t = makeContext('client');
    await protocol.preConnect!(t.context);
    assert.is(t.server.read(), null);
    t.close();
  }),
);

test.run();
