import type { Duplex } from 'node:stream';
import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol, requestTls, SSL_REQUEST } from '../src/index.js';
import { makeContext, rejection, writeSlowly } from './context.js';

test(
  'client mode sends SSLRequest to the upstream and starts TLS on S',
  timed(async () => {
    const t = makeContext('client');
    const server = new StreamChannel(t.server);
    const running = protocol.preTls!(t.context);
    assert.equal(await server.readBytes(8), SSL_REQUEST);
    t.server.write('S');
    await running;
    assert.is(t.remote.buffered, 0);
    assert.is(t.local.buffered, 0);
    t.close();
  }),
);

test(
  'client mode leaves the local side untouched so core forwards what the client sent',
  timed(async () => {
    const t = makeContext('client');
    t.client.write('early bytes from psql');
    const server = new StreamChannel(t.server);
    const running = protocol.preTls!(t.context);
    await server.readBytes(8);
    t.server.write('S');
    await running;
    assert.is(t.local.buffered, 0);
    assert.equal(t.context.local.stream.read()?.toString(), 'early bytes from psql');
    t.close();
  }),
);

const faults: [string, (server: Duplex) => void, string][] = [
  ["the server answers 'N'", (s) => s.write('N'), 'ERR_TUNNEL_PGSQL_NO_SSL'],
  ["an old server answers 'E' (ErrorResponse)", (s) => s.write('E\0\0\0\x20SFATAL'), 'ERR_TUNNEL_PGSQL_BAD_RESPONSE'],
  ['the server answers a NUL byte', (s) => s.write(Buffer.from([0])), 'ERR_TUNNEL_PGSQL_BAD_RESPONSE'],
  ['the server answers lower-case s', (s) => s.write('s'), 'ERR_TUNNEL_PGSQL_BAD_RESPONSE'],
  ['the server closes without answering', (s) => s.end(), 'ERR_TUNNEL_PEER_CLOSED'],
  ["the server sends plaintext after 'S'", (s) => s.write('SHELLO'), 'ERR_TUNNEL_PGSQL_UNEXPECTED_DATA'],
];

for (const [name, act, code] of faults) {
  test(
    `client mode fails with ${code} when ${name}`,
    timed(async () => {
      const t = makeContext('client');
      const server = new StreamChannel(t.server);
      const running = protocol.preTls!(t.context);
      await server.readBytes(8);
      act(t.server);
      const error = await rejection(running);
      assert.is(error.code, code);
      t.close();
    }),
  );
}

test(
  'requestTls works on a bare Duplex',
  timed(async () => {
    const [mine, theirs] = socketPair();
    const running = requestTls(mine);
    const peer = new StreamChannel(theirs);
    assert.equal(await peer.readBytes(8), SSL_REQUEST);
    theirs.write('S');
    await running;
    mine.destroy();
    theirs.destroy();
  }),
);

test(
  'requestTls stops waiting when its signal aborts',
  timed(async () => {
    const [mine, theirs] = socketPair();
    const abort = new AbortController();
    const running = requestTls(mine, { signal: abort.signal });
    abort.abort(Object.assign(new Error('TIMEOUTbusy'), { code: 'ERR_TEST_TIMEOUT' }));
    const error = await rejection(running);
    assert.is(error.code, 'ERR_TEST_TIMEOUT');
    mine.destroy();
    theirs.destroy();
  }),
);

test(
  'requestTls reads the answer byte when it arrives in a later chunk',
  timed(async () => {
    const [mine, theirs] = socketPair();
    const running = requestTls(mine);
    await new StreamChannel(theirs).readBytes(8);
    await writeSlowly(theirs, Buffer.from('S'));
    await running;
    mine.destroy();
    theirs.destroy();
  }),
);

test(
  'client-mode preConnect does nothing (server-mode dialogue only)',
  timed(async () => {
    const t = makeContext('client');
    await protocol.preConnect!(t.context);
    assert.is(t.server.read(), null);
    t.close();
  }),
);

test.run();
