/**
 * Real peers: curl (--socks4, --socks4a, --socks5, --socks5-hostname) -> Debian's stunnel4 in client
 * mode (the spec's SOCKS VPN example) -> TLS -> our socks postTls hook -> a local HTTP server.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { listen, makePki, type RunningProcess, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol } from '../src/index.js';
import { type HookServer, hookServer } from './context.js';

interface Chain {
  readonly hooks: HookServer;
  readonly stunnel: RunningProcess;
  readonly port: number;
}

const dir = tempDir('tunnel-socks-');
let httpServer: http.Server;
let httpPort = 0;
let open: Chain;
let locked: Chain;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function chain(
  name: string,
  options: Parameters<typeof hookServer>[1],
  tlsOptions: Parameters<typeof hookServer>[2],
): Promise<Chain> {
  const hooks = await hookServer(protocol, options, tlsOptions);
  const port = await freePort();
  const config = join(dir.path, `${name}.conf`);
  writeFileSync(
    config,
    [
      'foreground = yes',
      'pid =',
      'debug = 5',
      `[${name}]`,
      'client = yes',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${hooks.port}`,
      '',
    ].join('\n'),
  );
  const stunnel = startProcess('stunnel4', [config]);
  await stunnel.waitFor(/Configuration successful/, 10_000);
  return { hooks, stunnel, port };
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // No proxy settings from the environment: only the SOCKS proxy under test.
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    execFile('curl', ['-sS', '--max-time', '8', ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

const modes = [
  ['--socks4', '127.0.0.1', 'SOCKS 4'],
  ['--socks4a', 'localhost', 'SOCKS 4a'],
  ['--socks5', '127.0.0.1', 'SOCKS 5 with an IPv4 address'],
  ['--socks5-hostname', 'localhost', 'SOCKS 5 with a domain name'],
] as const;

test.before(async () => {
  const pki = await makePki({ dir: dir.path });
  httpServer = http.createServer((request, response) => response.end(`hello ${request.url}`));
  // Dual-stack, so "localhost" reaches it whichever family the resolver returns first.
  httpPort = await listen(httpServer as unknown as net.Server, '::');
  const tlsOptions = { cert: pki.read('server.pem'), key: pki.read('server.key') };
  open = await chain('open', { extra: { allowloopback: 'yes' } }, tlsOptions);
  locked = await chain('locked', {}, tlsOptions);
});

test.after(async () => {
  for (const item of [open, locked]) {
    await item?.stunnel.stop();
    await item?.hooks.close();
  }
  httpServer?.closeAllConnections();
  await new Promise<void>((resolve) => (httpServer ? httpServer.close(() => resolve()) : resolve()));
  dir.remove();
});

for (const [flag, host, name] of modes) {
  test(
    `curl ${flag} through stunnel4 reaches an allowed loopback HTTP server (${name})`,
    timed(async () => {
      const result = await curl([flag, `127.0.0.1:${open.port}`, `http://${host}:${httpPort}/${flag.slice(2)}`]);
      assert.is(result.stderr, '');
      assert.is(result.code, 0);
      assert.is(result.stdout, `hello /${flag.slice(2)}`);
    }, 15_000),
  );

  test(
    `curl ${flag} through stunnel4 is refused a loopback target by default (${name})`,
    timed(async () => {
      const before = locked.hooks.errors.length;
      const result = await curl([flag, `127.0.0.1:${locked.port}`, `http://${host}:${httpPort}/`]);
      assert.is.not(result.code, 0);
      assert.is(result.stdout, '');
      assert.is(locked.hooks.errors.length, before + 1);
      assert.is((locked.hooks.errors[before] as { code: string }).code, 'ERR_TUNNEL_SOCKS_TARGET_REFUSED');
    }, 15_000),
  );
}

test(
  'curl --socks5 to a closed port gets a connection-refused reply',
  timed(async () => {
    const port = await freePort();
    const before = open.hooks.errors.length;
    const result = await curl(['--socks5', `127.0.0.1:${open.port}`, `http://127.0.0.1:${port}/`]);
    assert.is.not(result.code, 0);
    // curl prints the SOCKS 5 reply code it got: 5 is "connection refused" (RFC 1928 §6).
    assert.match(result.stderr, /SOCKS5 connection to 127.0.0.1. \(5\)/, result.stderr);
    assert.is((open.hooks.errors[before] as { code: string }).code, 'ERR_TUNNEL_SOCKS_CONNECT_FAILED');
  }, 15_000),
);

test.run();
