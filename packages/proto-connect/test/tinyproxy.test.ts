/** Real peer: Debian's tinyproxy, started privately (temp config, dynamic port), no-auth and BasicAuth. */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { StreamChannel } from '@tunnel/protocol';
import { listen, makePki, type Pki, type RunningProcess, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ConnectAuth, httpConnect } from '../src/index.js';

const dir = tempDir('tunnel-connect-');
let pki: Pki;
let target: tls.Server;
let targetPort = 0;
const proxies: { open?: { port: number; process: RunningProcess }; auth?: { port: number; process: RunningProcess } } = {};

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function tinyproxy(name: string, extra: string[]): Promise<{ port: number; process: RunningProcess }> {
  const port = await freePort();
  const config = join(dir.path, `${name}.conf`);
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 10',
      'MaxClients 10',
      'LogLevel Info',
      'User nobody',
      'Group nogroup',
      `ConnectPort ${targetPort}`,
      ...extra,
      '',
    ].join('\n'),
  );
  const process = startProcess('tinyproxy', ['-d', '-c', config]);
  await process.waitFor(/Accepting connections/, 10_000);
  return { port, process };
}

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  target = tls.createServer({ cert: pki.read('server.pem'), key: pki.read('server.key') }, (socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  targetPort = await listen(target);
  proxies.open = await tinyproxy('open', []);
  proxies.auth = await tinyproxy('auth', ['BasicAuth user pass']);
});

test.after(async () => {
  await proxies.open?.process.stop();
  await proxies.auth?.process.stop();
  target?.close();
  dir.remove();
});

async function through(
  proxyPort: number,
  port: number,
  auth?: ConnectAuth,
): Promise<{ socket: net.Socket; channel: StreamChannel; status: number }> {
  const socket = net.connect(proxyPort, '127.0.0.1');
  const channel = new StreamChannel(socket);
  try {
    const response = await httpConnect(channel, { host: '127.0.0.1', port, auth, headers: ['X-Tunnel-Test: yes'] });
    return { socket, channel, status: response.status };
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

async function echoOverTls(socket: net.Socket): Promise<string> {
  const secure = tls.connect({ socket, ca: pki.read('ca.pem'), servername: 'localhost' });
  await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
  secure.write('ping over TLS through tinyproxy');
  const reply: Buffer = await new Promise((resolve) => secure.once('data', resolve));
  secure.destroy();
  return reply.toString();
}

test(
  'CONNECT through tinyproxy without authentication carries a real TLS session',
  timed(async () => {
    const { socket, channel, status } = await through(proxies.open?.port ?? 0, targetPort);
    assert.is(status, 200);
    assert.is(channel.buffered, 0);
    assert.is(await echoOverTls(socket), 'ping over TLS through tinyproxy');
  }),
);

test(
  'CONNECT through tinyproxy with BasicAuth and the right password carries a real TLS session',
  timed(async () => {
    const { socket, status } = await through(proxies.auth?.port ?? 0, targetPort, { type: 'basic', username: 'user', password: 'pass' });
    assert.is(status, 200);
    assert.is(await echoOverTls(socket), 'ping over TLS through tinyproxy');
  }),
);

for (const [name, auth] of [
  ['no credentials', undefined],
  ['a wrong password', { type: 'basic', username: 'user', password: 'nope' }],
] as const) {
  test(
    `tinyproxy with BasicAuth answers ${name} with 407 or 401 -> ERR_TUNNEL_CONNECT_AUTH_REQUIRED`,
    timed(async () => {
      try {
        await through(proxies.auth?.port ?? 0, targetPort, auth);
        assert.unreachable();
      } catch (error) {
        assert.is((error as { code: string }).code, 'ERR_TUNNEL_CONNECT_AUTH_REQUIRED', (error as Error).message);
        assert.match((error as Error).message, auth === undefined ? /407/ : /401/);
      }
    }),
  );
}

test(
  'tinyproxy refuses a port outside ConnectPort -> ERR_TUNNEL_CONNECT_REFUSED with its status',
  timed(async () => {
    try {
      await through(proxies.open?.port ?? 0, targetPort === 1 ? 2 : 1);
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_CONNECT_REFUSED');
      assert.is((error as { status: number }).status, 403);
    }
  }),
);

test.run();
