/**
 * End to end through @tunnel/core: curl --socks5-hostname / --socks4 -> Debian's stunnel4 (client mode)
 * -> core in server mode with protocol = socks -> a local HTTP server.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { type ConnectionCloseEvent, createTunnel, type ServiceOptions, type Tunnel } from '@tunnel/core';
import { listen, makePki, type RunningProcess, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol } from '../src/index.js';

const dir = tempDir('tunnel-socks-e2e-');
let httpServer: http.Server;
let httpPort = 0;
let tunnel: Tunnel;
let stunnel: RunningProcess;
const closed: ConnectionCloseEvent[] = [];
const local = { open: 0, locked: 0 };

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '8', ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (error, stdout) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout });
    });
  });
}

test.before(async () => {
  const pki = await makePki({ dir: dir.path });
  httpServer = http.createServer((request, response) => response.end(`hello ${request.url}`));
  httpPort = await listen(httpServer as unknown as net.Server, '::');
  const service = (name: string, extra: Record<string, string>): ServiceOptions => ({
    name,
    mode: 'server',
    accept: [{ host: '127.0.0.1', port: 0 }],
    cert: pki.read('server.pem'),
    key: pki.read('server.key'),
    connect: [],
    protocol,
    protocolOptions: { extra },
  });
  tunnel = createTunnel({ services: [service('open', { allowloopback: 'yes' }), service('locked', {})] });
  tunnel.on('connectionClose', (event) => closed.push(event));
  await tunnel.listen();
  const portOf = (name: string) => {
    const [address] = tunnel.addresses().get(name) ?? [];
    if (address === undefined || typeof address === 'string') throw new Error(`no address for ${name}`);
    return address.port;
  };
  local.open = await freePort();
  local.locked = await freePort();
  const config = join(dir.path, 'stunnel.conf');
  writeFileSync(
    config,
    [
      'foreground = yes',
      'pid =',
      'debug = 5',
      '[open]',
      'client = yes',
      `accept = 127.0.0.1:${local.open}`,
      `connect = 127.0.0.1:${portOf('open')}`,
      '[locked]',
      'client = yes',
      `accept = 127.0.0.1:${local.locked}`,
      `connect = 127.0.0.1:${portOf('locked')}`,
      '',
    ].join('\n'),
  );
  stunnel = startProcess('stunnel4', [config]);
  await stunnel.waitFor(/Configuration successful/, 10_000);
});

test.after(async () => {
  await stunnel?.stop();
  await tunnel?.close({ graceful: false });
  httpServer?.closeAllConnections();
  await new Promise<void>((resolve) => (httpServer ? httpServer.close(() => resolve()) : resolve()));
  dir.remove();
});

for (const [flag, host] of [
  ['--socks5-hostname', 'localhost'],
  ['--socks4', '127.0.0.1'],
] as const) {
  test(
    `curl ${flag} through stunnel4 and core (protocol = socks, protocolAllowLoopback = yes) fetches the page`,
    timed(async () => {
      const result = await curl([flag, `127.0.0.1:${local.open}`, `http://${host}:${httpPort}/e2e`]);
      assert.is(result.code, 0);
      assert.is(result.stdout, 'hello /e2e');
    }, 15_000),
  );
}

test(
  'core with protocol = socks refuses a loopback target by default and logs ERR_TUNNEL_SOCKS_TARGET_REFUSED',
  timed(async () => {
    const result = await curl(['--socks5-hostname', `127.0.0.1:${local.locked}`, `http://localhost:${httpPort}/`]);
    assert.is.not(result.code, 0);
    for (let i = 0; i < 20 && !closed.some((event) => event.service === 'locked'); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const event = closed.find((item) => item.service === 'locked');
    assert.is(event?.error?.code, 'ERR_TUNNEL_SOCKS_TARGET_REFUSED');
  }, 15_000),
);

test.run();
