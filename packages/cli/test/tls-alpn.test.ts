import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import { join } from 'node:path';
import { type Pki, type RunningProcess, freePort, listen, makePki, run, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

// ALPN (tunnel extension options alpn and connectALPN) with real peers: openssl s_client/s_server and curl --http2
// against node:http2 and node:http backends.

const dir = tempDir('tunnel-alpn-');
let pki: Pki;
let h2: Http2Server;
let h1: HttpServer;
let h2Port = 0;
let h1Port = 0;
const running: RunningProcess[] = [];

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  // Cleartext backends: the tunnel ends TLS, so the h2 backend speaks HTTP/2 with prior knowledge (h2c).
  h2 = createH2Server((request, response) => response.end(`h2 backend, HTTP/${request.httpVersion}\n`));
  h2Port = await listen(h2 as never);
  h1 = createHttpServer((request, response) => response.end(`h1 backend, HTTP/${request.httpVersion}\n`));
  h1Port = await listen(h1);
});

test.after(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop()));
  h2.close();
  h1.close();
  dir.remove();
});

async function tunnelWith(name: string, lines: readonly string[]): Promise<number> {
  const port = await freePort();
  const conf = writeConfig(join(dir.path, `${name}.conf`), [
    'foreground = yes',
    'pid =',
    'syslog = no',
    'debug = 7',
    `[${name}]`,
    `accept = 127.0.0.1:${port}`,
    ...lines,
  ]);
  running.push(await startTunnel(conf));
  return port;
}

const server = (name: string, extra: readonly string[]) =>
  tunnelWith(name, [`cert = ${pki.cert('server')}`, `key = ${pki.key('server')}`, ...extra]);

async function sClient(port: number, alpn: string): Promise<string> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-alpn', alpn], { input: '', timeoutMs: 10_000 }).catch(
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
  );
}

async function curl(port: number, version: '--http2' | '--http1.1'): Promise<{ body: string; version: string }> {
  const out = await run('curl', ['-sS', '-k', version, '-w', '\n%{http_version}', `https://localhost:${port}/`], { timeoutMs: 10_000 });
  const lines = out.trimEnd().split('\n');
  return { version: lines.pop() ?? '', body: lines.join('\n').trim() };
}

test(
  'openssl s_client -alpn sees the server pick from alpn in its own order; a client offering none of them gets alert 120',
  timed(async () => {
    const port = await server('alpn', [`connect = 127.0.0.1:${h1Port}`, 'alpn = h2,http/1.1']);
    assert.match(await sClient(port, 'h2'), /ALPN protocol: h2/);
    // Server preference: the client lists http/1.1 first, the server's list puts h2 first.
    assert.match(await sClient(port, 'http/1.1,h2'), /ALPN protocol: h2/);
    assert.match(await sClient(port, 'http/1.1'), /ALPN protocol: http\/1\.1/);
    assert.match(await sClient(port, 'spdy/3'), /no application protocol|alert number 120/);
  }, 30_000),
);

test(
  'curl --http2 through a server with alpn = h2 gets a 200 over HTTP/2 from an h2 backend',
  timed(async () => {
    const port = await server('curl-h2', [`connect = 127.0.0.1:${h2Port}`, 'alpn = h2']);
    const answer = await curl(port, '--http2');
    assert.is(answer.version, '2');
    assert.is(answer.body, 'h2 backend, HTTP/2.0');
  }, 30_000),
);

test(
  'connectALPN sends h2 and http/1.1 to two different backends, and a client without ALPN to connect',
  timed(async () => {
    const port = await server('route', [
      'connect = 127.0.0.1:9',
      'alpn = h2,http/1.1',
      `connectALPN = h2:127.0.0.1:${h2Port}`,
      `connectALPN = http/1.1:127.0.0.1:${h1Port}`,
    ]);
    const two = await curl(port, '--http2');
    assert.equal(two, { version: '2', body: 'h2 backend, HTTP/2.0' });
    const one = await curl(port, '--http1.1');
    assert.equal(one, { version: '1.1', body: 'h1 backend, HTTP/1.1' });
    // No ALPN offered: the fallback connect (port 9, discard/closed) is used, so the client gets nothing back.
    const none = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`], { input: '', timeoutMs: 10_000 }).catch(
      (error: { stdout?: string }) => error.stdout ?? '',
    );
    assert.match(none, /No ALPN negotiated/);
  }, 30_000),
);

test(
  'a client-mode tunnel with alpn requests it from openssl s_server',
  timed(async () => {
    const serverPort = await freePort();
    const sServer = startProcess('openssl', [
      's_server',
      '-accept',
      String(serverPort),
      '-cert',
      pki.cert('server'),
      '-key',
      pki.key('server'),
      '-alpn',
      'x-tunnel',
      '-rev',
    ]);
    running.push(sServer);
    await sServer.waitFor(/ACCEPT/, 5000);
    const port = await tunnelWith('client-alpn', ['client = yes', `connect = 127.0.0.1:${serverPort}`, 'alpn = x-other,x-tunnel']);
    const tunnel = running.at(-1) as RunningProcess;
    const { connectTcp } = await import('@tunnel/testkit');
    const socket = await connectTcp(port);
    socket.write('ping\n');
    const answer = await new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(String(chunk))));
    socket.destroy();
    assert.is(answer.trim(), 'gnip');
    // s_server selected x-tunnel from the two the tunnel offered (s_server prints nothing about ALPN itself).
    await tunnel.waitFor(/ALPN protocol: x-tunnel/, 5000);
  }, 30_000),
);

test(
  'connectALPN without alpn, for a protocol not in alpn, or in client mode is refused at its line',
  timed(async () => {
    const { runTunnel } = await import('./helpers.js');
    const conf = writeConfig(join(dir.path, 'bad.conf'), [
      'foreground = yes',
      'pid =',
      '[no-alpn]',
      'accept = 127.0.0.1:1',
      'connect = 127.0.0.1:2',
      `cert = ${pki.combined('server')}`,
      'connectALPN = h2:127.0.0.1:3',
      '[not-listed]',
      'accept = 127.0.0.1:4',
      'connect = 127.0.0.1:5',
      `cert = ${pki.combined('server')}`,
      'alpn = http/1.1',
      'connectALPN = h2:127.0.0.1:6',
      '[client]',
      'client = yes',
      'accept = 127.0.0.1:7',
      'connect = 127.0.0.1:8',
      'alpn = h2',
      'connectALPN = h2:127.0.0.1:9',
    ]);
    const result = await runTunnel([conf]);
    assert.is.not(result.code, 0);
    const text = result.stdout + result.stderr;
    assert.match(text, /bad\.conf:7: connectALPN: needs alpn =/);
    assert.match(text, /bad\.conf:13: connectALPN: "h2" is not in alpn = http\/1\.1/);
    assert.match(text, /bad\.conf:19: connectALPN: .*server mode only/);
  }, 20_000),
);

test.run();
