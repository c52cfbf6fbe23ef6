import net from 'node:net';
import tls from 'node:tls';
import { StreamChannel } from '@tunnel/protocol';
import {
  connectTcp,
  type EchoServer,
  echoServer,
  listen,
  makePki,
  type Pki,
  randomPayload,
  type RunningProcess,
  tempDir,
  timed,
} from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptTlsRequest, RESPONSE_REFUSED, requestTls } from '../src/index.js';
import { rejection } from './context.js';
import { freePort, startStunnel } from './stunnel.js';

// Samba dropped its SSL extension long ago, so there is no real CIFS peer left;
// Debian's stunnel4 5.68 (`protocol = cifs`) is the real interop partner in both directions.
const temp = tempDir('tunnel-cifs-');
let pki: Pki;
let echo: EchoServer;
const running: RunningProcess[] = [];
const servers: net.Server[] = [];

test.before(async () => {
  pki = await makePki({ dir: temp.path });
  echo = await echoServer();
});
test.after(async () => {
  for (const child of running) await child.stop();
  for (const server of servers) server.close();
  await echo?.close();
  temp.remove();
});

async function roundTrip(socket: net.Socket | tls.TLSSocket, size: number): Promise<void> {
  const payload = randomPayload(size);
  socket.write(payload);
  const back = await new StreamChannel(socket).readBytes(size);
  assert.ok(back.equals(payload), 'the payload comes back intact');
}

test(
  'our client negotiates with stunnel4 in cifs server mode and a TLS session carries data',
  timed(async () => {
    const port = await freePort();
    running.push(
      await startStunnel(temp.path, 'cifs-server', {
        client: 'no',
        protocol: 'cifs',
        accept: `127.0.0.1:${port}`,
        connect: `127.0.0.1:${echo.port}`,
        cert: pki.cert('server'),
        key: pki.key('server'),
      }),
    );
    const socket = await connectTcp(port);
    await requestTls(socket);
    const secure = tls.connect({ socket, ca: pki.read('ca.pem'), servername: 'localhost' });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    await roundTrip(secure, 64 * 1024);
    secure.destroy();
  }, 15_000),
);

test(
  'stunnel4 in cifs client mode negotiates with our server side and a TLS session carries data',
  timed(async () => {
    const failures: unknown[] = [];
    const ours = net.createServer(async (socket) => {
      socket.on('error', () => {});
      try {
        await acceptTlsRequest(socket);
        const secure = new tls.TLSSocket(socket, { isServer: true, key: pki.read('server.key'), cert: pki.read('server.pem') });
        const upstream = await connectTcp(echo.port);
        secure.on('error', () => upstream.destroy());
        upstream.on('error', () => secure.destroy());
        secure.pipe(upstream).pipe(secure);
      } catch (error) {
        failures.push(error);
        socket.destroy();
      }
    });
    servers.push(ours);
    const oursPort = await listen(ours);
    const port = await freePort();
    running.push(
      await startStunnel(temp.path, 'cifs-client', {
        client: 'yes',
        protocol: 'cifs',
        accept: `127.0.0.1:${port}`,
        connect: `127.0.0.1:${oursPort}`,
        CAfile: pki.ca,
        verifyChain: 'yes',
        checkHost: 'localhost',
      }),
    );
    const plain = await connectTcp(port);
    await roundTrip(plain, 64 * 1024);
    plain.destroy();
    assert.equal(failures, []);
  }, 15_000),
);

test(
  'stunnel4 in cifs server mode answers a non-request packet with the same refusal bytes as ours',
  timed(async () => {
    const port = await freePort();
    running.push(
      await startStunnel(temp.path, 'cifs-oracle', {
        client: 'no',
        protocol: 'cifs',
        accept: `127.0.0.1:${port}`,
        connect: `127.0.0.1:${echo.port}`,
        cert: pki.cert('server'),
        key: pki.key('server'),
      }),
    );
    const socket = await connectTcp(port);
    socket.write(Buffer.from([0x85, 0, 0, 0]));
    assert.equal(await new StreamChannel(socket).readBytes(5), RESPONSE_REFUSED);
    socket.destroy();
  }, 15_000),
);

test(
  'our client gives up on its signal when a real TLS server (stunnel4 without protocol) stalls on the request',
  timed(async () => {
    const port = await freePort();
    running.push(
      await startStunnel(temp.path, 'plain-tls-server', {
        client: 'no',
        accept: `127.0.0.1:${port}`,
        connect: `127.0.0.1:${echo.port}`,
        cert: pki.cert('server'),
        key: pki.key('server'),
      }),
    );
    const socket = await connectTcp(port);
    // stunnel takes our 4 bytes as the start of a ClientHello and waits for the rest: only TIMEOUTbusy ends it.
    const error = await rejection(requestTls(socket, { signal: AbortSignal.timeout(300) }));
    assert.is(error.name, 'TimeoutError');
    socket.destroy();
  }, 15_000),
);

test.run();
