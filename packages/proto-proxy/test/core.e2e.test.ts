/**
 * End to end through @tunnel/core with Debian's haproxy on both sides of the PROXY protocol:
 * `protocol = proxy` toward an `accept-proxy` frontend, and `proxy-receive` behind `send-proxy-v2`.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { type ConnectionCloseEvent, createTunnel, type LogRecord, type ServiceOptions, type Tunnel } from '@tunnel/core';
import { echoServer, type EchoServer, listen, makePki, type Pki, type RunningProcess, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol, proxyReceive } from '../src/index.js';

const dir = tempDir('tunnel-proxy-e2e-');
let pki: Pki;
let haproxy: RunningProcess;
let echo: EchoServer;
const records: LogRecord[] = [];
const closed: ConnectionCloseEvent[] = [];
let tunnel: Tunnel;
const ports = { echoFrontend: 0, relay: 0, sender: 0, receiver: 0 };

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, what: () => string): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const probe = net.connect(port, '127.0.0.1');
    try {
      await Promise.race([once(probe, 'connect'), once(probe, 'error').then(([error]) => Promise.reject(error))]);
      probe.destroy();
      return;
    } catch (error) {
      probe.destroy();
      if (attempt > 50) throw new Error(`not listening: ${what()}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  echo = await echoServer();
  ports.echoFrontend = await freePort();
  ports.relay = await freePort();
  const server = (name: string, plugin: ServiceOptions['protocol'], port: number): ServiceOptions => ({
    name,
    mode: 'server',
    accept: [{ host: '127.0.0.1', port: 0 }],
    cert: pki.read('server.pem'),
    key: pki.read('server.key'),
    connect: [{ host: '127.0.0.1', port }],
    protocol: plugin,
  });
  tunnel = createTunnel({
    services: [server('sender', protocol, ports.echoFrontend), server('receiver', proxyReceive, echo.port)],
    logger: { write: (record) => void records.push(record) },
  });
  tunnel.on('connectionClose', (event) => closed.push(event));
  await tunnel.listen();
  const portOf = (name: string) => {
    const [address] = tunnel.addresses().get(name) ?? [];
    if (address === undefined || typeof address === 'string') throw new Error(`no address for ${name}`);
    return address.port;
  };
  ports.sender = portOf('sender');
  ports.receiver = portOf('receiver');
  const config = join(dir.path, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'defaults',
      '  timeout connect 5s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend echo',
      '  mode http',
      `  bind 127.0.0.1:${ports.echoFrontend} accept-proxy`,
      '  http-request return status 200 content-type text/plain lf-string "client=%ci:%cp dest=%fi:%fp"',
      'listen relay',
      '  mode tcp',
      `  bind 127.0.0.1:${ports.relay}`,
      `  server tunnel 127.0.0.1:${ports.receiver} send-proxy-v2`,
      '',
    ].join('\n'),
  );
  haproxy = startProcess('haproxy', ['-db', '-f', config]);
  await waitForPort(ports.relay, () => haproxy.output());
});

test.after(async () => {
  await haproxy?.stop();
  await tunnel?.close({ graceful: false });
  await echo?.close();
  dir.remove();
});

test(
  'core with protocol = proxy tells haproxy the real client and the address it connected to',
  timed(async () => {
    const client = tls.connect({ port: ports.sender, host: '127.0.0.1', ca: pki.read('ca.pem'), servername: 'localhost' });
    try {
      await once(client, 'secureConnect');
      const clientPort = client.localPort;
      client.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
      const chunks: Buffer[] = [];
      for await (const chunk of client) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString();
      assert.match(body, /^HTTP\/1\.[01] 200/);
      assert.ok(body.endsWith(`client=127.0.0.1:${clientPort} dest=127.0.0.1:${ports.sender}`), body);
    } finally {
      client.destroy();
    }
  }),
);

test(
  'core with proxy-receive behind haproxy send-proxy-v2 reads the header, then the TLS session works',
  timed(async () => {
    const client = tls.connect({ port: ports.relay, host: '127.0.0.1', ca: pki.read('ca.pem'), servername: 'localhost' });
    try {
      await once(client, 'secureConnect');
      const clientPort = client.localPort;
      client.write('echo me through the balancer');
      const reply: Buffer = await new Promise((resolve) => client.once('data', resolve));
      assert.is(reply.toString(), 'echo me through the balancer');
      // The start-up probe also went through haproxy: look for this client's line.
      const lines = records.filter((record) => record.service === 'receiver').map((record) => record.message);
      assert.ok(lines.includes(`PROXY v2 header: client 127.0.0.1:${clientPort}`), lines.join('\n'));
    } finally {
      client.destroy();
    }
  }),
);

test(
  'core with proxy-receive rejects a client that connects directly, without a header',
  timed(async () => {
    const before = closed.length;
    const client = tls.connect({ port: ports.receiver, host: '127.0.0.1', ca: pki.read('ca.pem'), servername: 'localhost' });
    const failed = await new Promise<boolean>((resolve) => {
      client.once('secureConnect', () => resolve(false));
      client.once('error', () => resolve(true));
      client.once('close', () => resolve(true));
    });
    client.destroy();
    assert.ok(failed);
    for (let i = 0; i < 20 && closed.length === before; i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.is(closed.at(-1)?.error?.code, 'ERR_TUNNEL_PROXY_BAD_HEADER');
  }),
);

test.run();
