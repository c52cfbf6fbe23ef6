import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { type EchoServer, type Pki, connectTcp, echoServer, makePki, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CHANNEL_TLS_FAILURE,
  CHANNEL_TLS_HANDSHAKE,
  type HandshakeFailureEvent,
  type PeerVerifier,
  type ServiceOptions,
  type TlsHandshakeEvent,
} from '../src/index.js';
import { exchange, startTunnel, tlsClient } from './helpers.js';

const dir = tempDir();
let pki: Pki;
let echo: EchoServer;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  echo = await echoServer();
});

test.after(async () => {
  await echo.close();
  dir.remove();
});

const service = (extra: Partial<ServiceOptions> = {}): ServiceOptions => ({
  name: 'svc',
  mode: 'server',
  accept: [{ host: '127.0.0.1', port: 0 }],
  connect: [{ host: '127.0.0.1', port: echo.port }],
  cert: readFileSync(pki.combined('server')),
  ...extra,
});

test(
  'a server-mode handshake is reported on the emitter and the diagnostics channel with version, cipher and SNI',
  timed(async () => {
    const { tunnel, port } = await startTunnel([service()]);
    const published: TlsHandshakeEvent[] = [];
    const onPublish = (message: unknown) => published.push(message as TlsHandshakeEvent);
    subscribe(CHANNEL_TLS_HANDSHAKE, onPublish);
    try {
      const seen = new Promise<TlsHandshakeEvent>((resolve) => tunnel.on('tlsHandshake', resolve));
      const client = await tlsClient({ host: '127.0.0.1', port: port(), servername: 'svc.example', maxVersion: 'TLSv1.2' });
      const event = await seen;
      assert.is(event.service, 'svc');
      assert.is(event.mode, 'server');
      assert.is(event.version, 'TLSv1.2');
      assert.is(event.cipher, client.getCipher().standardName);
      assert.is(event.servername, 'svc.example');
      assert.is(event.resumed, false);
      assert.is(event.peerSubject, undefined);
      assert.ok(event.durationMs >= 0);
      assert.is(published.length, 1);
      assert.is(published[0]?.id, event.id);
      client.destroy();
    } finally {
      unsubscribe(CHANNEL_TLS_HANDSHAKE, onPublish);
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'a client-mode handshake names the upstream certificate subject and TLS 1.3',
  timed(async () => {
    const upstream = createTlsServer({ cert: readFileSync(pki.cert('server')), key: readFileSync(pki.key('server')) }, (socket) =>
      socket.pipe(socket),
    );
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const upstreamPort = (upstream.address() as { port: number }).port;
    const { tunnel, port } = await startTunnel([
      { name: 'cli', mode: 'client', accept: [{ host: '127.0.0.1', port: 0 }], connect: [{ host: '127.0.0.1', port: upstreamPort }] },
    ]);
    try {
      const seen = new Promise<TlsHandshakeEvent>((resolve) => tunnel.on('tlsHandshake', resolve));
      const client = await connectTcp(port('cli'));
      assert.is((await exchange(client, Buffer.from('hello'))).toString(), 'hello');
      const event = await seen;
      assert.is(event.mode, 'client');
      assert.is(event.version, 'TLSv1.3');
      assert.match(event.peerSubject ?? '', /CN=localhost/);
    } finally {
      await tunnel.close({ graceful: false });
      upstream.close();
    }
  }),
);

test(
  'a failed handshake is reported with its code and reason, and nothing as a completed handshake',
  timed(async () => {
    const { tunnel, port } = await startTunnel([service()]);
    const published: HandshakeFailureEvent[] = [];
    const onPublish = (message: unknown) => published.push(message as HandshakeFailureEvent);
    subscribe(CHANNEL_TLS_FAILURE, onPublish);
    let completed = 0;
    tunnel.on('tlsHandshake', () => completed++);
    try {
      const seen = new Promise<HandshakeFailureEvent>((resolve) => tunnel.on('handshakeFailure', resolve));
      const socket = await connectTcp(port());
      socket.on('error', () => {});
      socket.write('GET / HTTP/1.0\r\n\r\n');
      const event = await seen;
      assert.is(event.code, 'ERR_TUNNEL_TLS_HANDSHAKE');
      assert.is(event.kind, 'handshake');
      assert.is(event.redirected, false);
      assert.match(event.reason, /SSL_accept/);
      assert.is(published.length, 1);
      assert.is(completed, 0);
      socket.destroy();
    } finally {
      unsubscribe(CHANNEL_TLS_FAILURE, onPublish);
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'a peer the verifier rejects is reported as a verification failure with the verifier reason',
  timed(async () => {
    const verifier: PeerVerifier = {
      tlsOptions: {},
      check: async () => ({ ok: false, code: 'ERR_TEST_UNTRUSTED', reason: 'not on the list' }),
    };
    const { tunnel, port } = await startTunnel([service({ verifier })]);
    try {
      const seen = new Promise<HandshakeFailureEvent>((resolve) => tunnel.on('handshakeFailure', resolve));
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      client.on('error', () => {});
      const event = await seen;
      assert.is(event.kind, 'verification');
      assert.is(event.code, 'ERR_TUNNEL_PEER_REJECTED');
      assert.match(event.reason, /ERR_TEST_UNTRUSTED: not on the list/);
      client.destroy();
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'activeConnections lists the connections in flight with peer, age and byte counts',
  timed(async () => {
    const { tunnel, port } = await startTunnel([service()]);
    try {
      const first = await tlsClient({ host: '127.0.0.1', port: port() });
      const second = await tlsClient({ host: '127.0.0.1', port: port() });
      for (const client of [first, second]) {
        client.write('abc');
        await once(client, 'data');
      }
      const list = tunnel.activeConnections();
      assert.is(list.length, 2);
      for (const entry of list) {
        assert.is(entry.service, 'svc');
        assert.is(entry.peer.address, '127.0.0.1');
        assert.ok(entry.since.getTime() <= Date.now());
        assert.ok(entry.bytesIn > 5, 'TLS records were read');
        assert.ok(entry.bytesOut > 5, 'TLS records were written');
      }
      assert.is.not(list[0]?.id, list[1]?.id);
      first.destroy();
      second.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.is(tunnel.activeConnections().length, 0);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test.run();
