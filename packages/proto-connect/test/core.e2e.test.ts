/**
 * End to end through @tunnel/core in client mode: plain client -> core (protocol = connect) ->
 * Debian's tinyproxy (BasicAuth) -> a TLS echo server; and a proxy that injects bytes before TLS.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { type ConnectionCloseEvent, createTunnel, type ProtocolOptions, type Tunnel } from '@tunnel/core';
import { listen, makePki, type RunningProcess, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol } from '../src/index.js';

const dir = tempDir('tunnel-connect-e2e-');
let target: tls.Server;
let targetPort = 0;
let tinyproxy: RunningProcess;
let proxyPort = 0;
let injector: net.Server;
const tunnels: Tunnel[] = [];
const closed: ConnectionCloseEvent[] = [];

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function clientTunnel(name: string, connectPort: number, options: ProtocolOptions): Promise<number> {
  const tunnel = createTunnel({
    services: [
      {
        name,
        mode: 'client',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: connectPort }],
        protocol,
        protocolOptions: options,
      },
    ],
  });
  tunnel.on('connectionClose', (event) => closed.push(event));
  tunnels.push(tunnel);
  await tunnel.listen();
  const [address] = tunnel.addresses().get(name) ?? [];
  if (address === undefined || typeof address === 'string') throw new Error('no address');
  return address.port;
}

test.before(async () => {
  const pki = await makePki({ dir: dir.path });
  target = tls.createServer({ cert: pki.read('server.pem'), key: pki.read('server.key') }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  targetPort = await listen(target);
  proxyPort = await freePort();
  const config = join(dir.path, 'tinyproxy.conf');
  writeFileSync(
    config,
    [
      `Port ${proxyPort}`,
      'Listen 127.0.0.1',
      'Timeout 10',
      'MaxClients 10',
      'LogLevel Info',
      'User nobody',
      'Group nogroup',
      `ConnectPort ${targetPort}`,
      'BasicAuth user pass',
      '',
    ].join('\n'),
  );
  tinyproxy = startProcess('tinyproxy', ['-d', '-c', config]);
  await tinyproxy.waitFor(/Accepting connections/, 10_000);
  // A hostile proxy: answers 200 and immediately sends plaintext that would be taken as TLS payload.
  injector = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.write('HTTP/1.1 200 Connection established\r\n\r\nINJECTED'));
  });
  await listen(injector);
});

test.after(async () => {
  for (const tunnel of tunnels) await tunnel.close({ graceful: false });
  await tinyproxy?.stop();
  target?.close();
  injector?.close();
  dir.remove();
});

test(
  'core in client mode with protocol = connect reaches a TLS server through tinyproxy with basic auth',
  timed(async () => {
    const port = await clientTunnel('through-proxy', proxyPort, {
      host: `127.0.0.1:${targetPort}`,
      authentication: 'basic',
      username: 'user',
      password: 'pass',
      headers: ['X-Tunnel: e2e'],
    });
    const client = net.connect(port, '127.0.0.1');
    try {
      await once(client, 'connect');
      client.write('plaintext in, TLS out');
      const reply: Buffer = await new Promise((resolve) => client.once('data', resolve));
      assert.is(reply.toString(), 'plaintext in, TLS out');
    } finally {
      client.destroy();
    }
  }),
);

test(
  'core rejects the connection when the proxy sends bytes after its 200 before TLS (ERR_TUNNEL_PLAINTEXT_INJECTION)',
  timed(async () => {
    const port = await clientTunnel('injector', (injector.address() as net.AddressInfo).port, { host: `127.0.0.1:${targetPort}` });
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    await new Promise((resolve) => {
      client.once('close', resolve);
      client.on('error', () => {});
    });
    for (let i = 0; i < 20 && !closed.some((event) => event.service === 'injector'); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.is(closed.find((event) => event.service === 'injector')?.error?.code, 'ERR_TUNNEL_PLAINTEXT_INJECTION');
  }),
);

test.run();
