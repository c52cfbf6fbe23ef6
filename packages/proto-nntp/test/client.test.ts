import type { Duplex } from 'node:stream';
import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol, startTlsClient } from '../src/index.js';
import { makeContext, rejection, writeSlowly } from './context.js';

const GREETING = '200 news.example InterNetNews NNRP server INN 2.7.1 ready (posting ok)';

const deliveries: [string, (stream: Duplex, data: Buffer) => Promise<void>][] = [
  ['in one chunk', async (s, d) => void s.write(d)],
  ['byte at a time', writeSlowly],
];

for (const [how, deliver] of deliveries) {
  for (const greeting of [GREETING, '201 read-only server ready']) {
    test(
      `client mode relays "${greeting.slice(0, 3)}" to the local client, sends STARTTLS and accepts 382, delivered ${how}`,
      timed(async () => {
        const t = makeContext('client');
        const server = new StreamChannel(t.server);
        const client = new StreamChannel(t.client);
        const running = protocol.preTls!(t.context);
        await deliver(t.server, Buffer.from(`${greeting}\r\n`));
        assert.is(await client.readLine(), greeting, 'the greeting reaches the local client');
        assert.is(await server.readLine(), 'STARTTLS');
        await deliver(t.server, Buffer.from('382 Begin TLS negotiation now\r\n'));
        await running;
        assert.is(t.remote.buffered, 0);
        assert.is(t.local.buffered, 0);
        t.close();
      }),
    );
  }
}

test(
  'client mode relays the greeting with CRLF even when the server ended it with a bare LF',
  timed(async () => {
    const t = makeContext('client');
    const running = protocol.preTls!(t.context);
    t.server.write('200 ok\n');
    await new StreamChannel(t.server).readLine();
    t.server.write('382 go\n');
    await running;
    assert.is(String(t.client.read()), '200 ok\r\n');
    t.close();
  }),
);

/** A scripted server: the greeting, then what to answer after STARTTLS (or undefined to stop early). */
const faults: [string, string | Buffer, string | Buffer | 'close' | undefined, string][] = [
  ['the greeting is 400 (service unavailable)', '400 server too busy\r\n', undefined, 'ERR_TUNNEL_NNTP_BAD_GREETING'],
  ['the greeting is 502 (access denied)', '502 you have no permission to talk\r\n', undefined, 'ERR_TUNNEL_NNTP_BAD_GREETING'],
  ['the greeting is garbage', 'HELLO THERE\r\n', undefined, 'ERR_TUNNEL_NNTP_BAD_REPLY'],
  ['the greeting is binary noise', Buffer.from([0x16, 0x03, 0x01, 0x0a]), undefined, 'ERR_TUNNEL_NNTP_BAD_REPLY'],
  ['the greeting is over-long', `200 ${'x'.repeat(600)}\r\n`, undefined, 'ERR_TUNNEL_LINE_TOO_LONG'],
  ['the greeting never ends and exceeds the limit', `200 ${'x'.repeat(2000)}`, undefined, 'ERR_TUNNEL_LINE_TOO_LONG'],
  ['the server closes before greeting', '', undefined, 'ERR_TUNNEL_PEER_CLOSED'],
  ['the server closes mid-greeting', '200 partial', undefined, 'ERR_TUNNEL_PEER_CLOSED'],
  ['STARTTLS is answered 580', '200 ok\r\n', '580 Can not initiate TLS negotiation\r\n', 'ERR_TUNNEL_NNTP_NO_STARTTLS'],
  ['STARTTLS is answered 502', '200 ok\r\n', '502 Command unavailable\r\n', 'ERR_TUNNEL_NNTP_NO_STARTTLS'],
  ['STARTTLS is answered 500 (unknown command)', '200 ok\r\n', '500 What?\r\n', 'ERR_TUNNEL_NNTP_NO_STARTTLS'],
  ['STARTTLS is answered 382 without the space stunnel wants… but RFC-valid', '200 ok\r\n', '382\r\n', 'OK'],
  ['STARTTLS is answered garbage', '200 ok\r\n', 'OK go ahead\r\n', 'ERR_TUNNEL_NNTP_BAD_REPLY'],
  ['STARTTLS is answered with an over-long line', '200 ok\r\n', `382 ${'y'.repeat(1000)}\r\n`, 'ERR_TUNNEL_LINE_TOO_LONG'],
  ['the server closes after STARTTLS', '200 ok\r\n', 'close', 'ERR_TUNNEL_PEER_CLOSED'],
  ['the server injects plaintext after 382', '200 ok\r\n', '382 go\r\n215 injected\r\n', 'ERR_TUNNEL_NNTP_PLAINTEXT_AFTER_STARTTLS'],
];

for (const [name, greeting, answer, code] of faults) {
  test(
    `client mode ${code === 'OK' ? 'succeeds' : `fails with ${code}`} when ${name}`,
    timed(async () => {
      const t = makeContext('client');
      const running = protocol.preTls!(t.context);
      if (answer === undefined) {
        t.server.end(greeting);
      } else {
        t.server.write(greeting);
        assert.is(await new StreamChannel(t.server).readLine(), 'STARTTLS');
        if (answer === 'close') t.server.end();
        else t.server.write(answer);
      }
      if (code === 'OK') await running;
      else assert.is((await rejection(running)).code, code);
      if (answer === undefined) assert.is(t.client.read(), null, 'a refused greeting is not relayed');
      t.close();
    }),
  );
}

test(
  'the error carries the escaped reply line for logs',
  timed(async () => {
    const t = makeContext('client');
    const running = protocol.preTls!(t.context);
    t.server.end('400 busy\x1b[2J\r\n');
    const error = (await rejection(running)) as Error & { code?: string; reply?: string };
    assert.is(error.code, 'ERR_TUNNEL_NNTP_BAD_GREETING');
    assert.is(error.reply, '400 busy\\x1b[2J');
    t.close();
  }),
);

test(
  'startTlsClient works on a bare Duplex, reports both lines and honours maxLineLength',
  timed(async () => {
    const [mine, theirs] = socketPair();
    const seen: string[] = [];
    const running = startTlsClient(mine, { onGreeting: (line) => void seen.push(line), maxLineLength: 40 });
    theirs.write('201 hi\r\n');
    assert.is(await new StreamChannel(theirs).readLine(), 'STARTTLS');
    theirs.write('382 go\r\n');
    assert.equal(await running, { greeting: '201 hi', reply: '382 go' });
    assert.equal(seen, ['201 hi']);
    const [a, b] = socketPair();
    const tooLong = startTlsClient(a, { maxLineLength: 40 });
    b.write(`200 ${'z'.repeat(50)}\r\n`);
    assert.is((await rejection(tooLong)).code, 'ERR_TUNNEL_LINE_TOO_LONG');
    for (const stream of [mine, theirs, a, b]) stream.destroy();
  }),
);

test(
  'startTlsClient stops waiting when its signal aborts',
  timed(async () => {
    const [mine, theirs] = socketPair();
    const abort = new AbortController();
    const running = startTlsClient(mine, { signal: abort.signal });
    abort.abort(Object.assign(new Error('TIMEOUTbusy'), { code: 'ERR_TEST_TIMEOUT' }));
    assert.is((await rejection(running)).code, 'ERR_TEST_TIMEOUT');
    mine.destroy();
    theirs.destroy();
  }),
);

test.run();
