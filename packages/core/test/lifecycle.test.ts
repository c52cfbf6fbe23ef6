import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EchoServer, type Pki, connectTcp, echoServer, makePki, socketPair, tempDir, timed } from '@tunnel/testkit';
import {
  CHANNEL_CONNECTION_CLOSE,
  type ConnectionCloseEvent,
  type ServiceOptions,
  createDemoCertificate,
  createTunnel,
  serveConnection,
  startEchoServer,
} from '../src/index.js';
import { bannerServer, exchange, memoryLogger, startTunnel, tlsClient } from './helpers.js';

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
  'connection open and close events (EventEmitter and diagnostics_channel) carry the byte counts',
  timed(async () => {
    const { tunnel, port } = await startTunnel([service()]);
    const published: ConnectionCloseEvent[] = [];
    const onPublish = (message: unknown) => published.push(message as ConnectionCloseEvent);
    subscribe(CHANNEL_CONNECTION_CLOSE, onPublish);
    try {
      const opened = new Promise<[{ service: string; peer: { address: string } }]>((resolve) =>
        tunnel.on('connectionOpen', (e) => resolve([e])),
      );
      const closed = new Promise<ConnectionCloseEvent>((resolve) => tunnel.on('connectionClose', resolve));
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      const [open] = await opened;
      assert.is(open.service, 'svc');
      assert.is(open.peer.address, '127.0.0.1');
      await exchange(client, Buffer.from('12345'));
      const event = await closed;
      assert.is(event.bytesToTls, 5);
      assert.is(event.bytesToSocket, 5);
      assert.is(event.reset, false);
      assert.is(event.error, undefined);
      assert.is(published.length, 1);
      assert.is(published[0]?.id, event.id);
    } finally {
      unsubscribe(CHANNEL_CONNECTION_CLOSE, onPublish);
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'graceful close stops accepting but lets a connection in flight finish',
  timed(async () => {
    const { tunnel, port } = await startTunnel([service()]);
    const p = port();
    const client = await tlsClient({ host: '127.0.0.1', port: p });
    client.write('before');
    await once(client, 'data');
    const closing = tunnel.close({ graceful: true, timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await connectTcp(p).then(
      (s) => {
        s.destroy();
        return false;
      },
      () => true,
    );
    assert.ok(refused, 'the listener is closed');
    assert.is(tunnel.connections, 1);
    const back = await exchange(client, Buffer.from('after'));
    assert.is(back.toString(), 'after');
    await closing;
    assert.is(tunnel.connections, 0);
  }),
);

test(
  'graceful close destroys what is still open after timeoutMs',
  timed(async () => {
    const { tunnel, port } = await startTunnel([service()]);
    const client = await tlsClient({ host: '127.0.0.1', port: port() });
    client.on('error', () => {});
    const started = Date.now();
    await tunnel.close({ graceful: true, timeoutMs: 300 });
    assert.ok(Date.now() - started >= 250);
    assert.is(tunnel.connections, 0);
  }),
);

test(
  'reload keeps an unchanged listener open, switches new connections to the new options, and keeps connections in flight',
  timed(async () => {
    const first = await bannerServer('first');
    const second = await bannerServer('second');
    const { tunnel, port } = await startTunnel([service({ connect: [{ host: '127.0.0.1', port: echo.port }] })]);
    try {
      const p = port();
      const inFlight = await tlsClient({ host: '127.0.0.1', port: p });
      inFlight.write('x');
      await once(inFlight, 'data');
      await tunnel.reload([
        service({ connect: [{ host: '127.0.0.1', port: second.port }], debug: 7 }),
        service({ name: 'added', connect: [{ host: '127.0.0.1', port: first.port }], debug: 7 }),
      ]);
      assert.is(port(), p);
      const fresh = await tlsClient({ host: '127.0.0.1', port: p });
      assert.is((await exchange(fresh, Buffer.alloc(0))).toString(), 'second\n');
      const added = await tlsClient({ host: '127.0.0.1', port: port('added') });
      assert.is((await exchange(added, Buffer.alloc(0))).toString(), 'first\n');
      assert.is((await exchange(inFlight, Buffer.from('still here'))).toString(), 'still here');
      await tunnel.reload([service({ name: 'added', connect: [{ host: '127.0.0.1', port: first.port }] })]);
      assert.is(tunnel.addresses().has('svc'), false);
    } finally {
      await tunnel.close({ graceful: false });
      await Promise.all([first.close(), second.close()]);
    }
  }),
);

test(
  'serveConnection runs one already-connected stream (inetd mode) through server mode',
  timed(async () => {
    const [ours, theirs] = socketPair();
    const logger = memoryLogger();
    const done = serveConnection({ service: service({ accept: [], debug: 7 }), stream: ours, logger });
    const conn = tlsConnect({ socket: theirs as unknown as Socket, rejectUnauthorized: false });
    await once(conn, 'secureConnect');
    const back = await exchange(conn, Buffer.from('inetd'));
    assert.is(back.toString(), 'inetd');
    const closed = await done;
    assert.is(closed.bytesToSocket, 5);
    assert.match(logger.text(), /Service \[svc\] accepted connection from stdio/);
  }),
);

test(
  'createDemoCertificate makes a fresh self-signed certificate a server-mode service can use',
  timed(async () => {
    const demo = await createDemoCertificate();
    const x509 = new X509Certificate(demo.cert);
    assert.match(x509.subject, /CN=localhost/);
    assert.ok(x509.verify(x509.publicKey), 'signed by its own key');
    assert.match(x509.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    const backend = await startEchoServer();
    const { tunnel, port } = await startTunnel([
      service({ cert: demo.cert, key: demo.key, connect: [{ host: backend.host, port: backend.port }] }),
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      assert.is(client.getPeerX509Certificate()?.fingerprint256, x509.fingerprint256);
      assert.is((await exchange(client, Buffer.from('demo'))).toString(), 'demo');
    } finally {
      await tunnel.close({ graceful: false });
      await backend.close();
    }
  }),
);

test('listen twice is harmless and createTunnel without services is valid', async () => {
  const tunnel = createTunnel({ services: [] });
  await tunnel.listen();
  await tunnel.listen();
  await tunnel.close();
  assert.is(tunnel.connections, 0);
});

test.run();
