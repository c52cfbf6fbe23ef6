import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePort, listen, makePki, type Pki, startProcess, tempDir, timed, withTimeout } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel, startTunnel, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

/** Sends one line through the client-mode tunnel: the reversed line from s_server, or '' when the tunnel closes first. */
async function roundTrip(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write('ocsp\n');
  let reply = '';
  socket.on('data', (chunk: Buffer) => {
    reply += chunk.toString();
    if (reply.includes('\n')) socket.end();
  });
  await withTimeout(new Promise((resolve) => socket.once('close', resolve)), 20_000, 'the tunnel to answer or close');
  return reply.trim();
}

/** A client-mode tunnel toward `openssl s_server -rev` that asks the OCSP responder at `responder` about the server. */
async function clientTunnel(name: string, responder: number, extra: string[]) {
  const upstream = await freePort();
  const server = startProcess('openssl', [
    's_server',
    '-accept',
    `127.0.0.1:${upstream}`,
    '-cert',
    pki.cert('server'),
    '-key',
    pki.key('server'),
    '-rev',
  ]);
  await server.waitFor(/ACCEPT/, 10_000);
  const port = await freePort();
  const conf = writeConfig(join(dir.path, `${name}.conf`), [
    'foreground = yes',
    'syslog = no',
    '[ocsp-client]',
    'client = yes',
    `accept = 127.0.0.1:${port}`,
    `connect = 127.0.0.1:${upstream}`,
    'verify = 2',
    `CAfile = ${pki.ca}`,
    `OCSP = http://127.0.0.1:${responder}/`,
    ...extra,
  ]);
  const tunnel = await startTunnel(conf);
  return {
    port,
    tunnel,
    stop: async () => {
      await tunnel.stop();
      await server.stop();
    },
  };
}

test(
  'OCSPrequire: an unreachable responder refuses the server by default and lets it through with OCSPrequire = no',
  timed(async () => {
    const closed = createServer();
    const down = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const strict = await clientTunnel('ocsp-strict', down, []);
    try {
      assert.is(await roundTrip(strict.port), '');
      await strict.tunnel.waitFor(/ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE/, 5000);
    } finally {
      await strict.stop();
    }
    const lenient = await clientTunnel('ocsp-lenient', down, ['OCSPrequire = no']);
    try {
      assert.is(await roundTrip(lenient.port), 'psco');
    } finally {
      await lenient.stop();
    }
  }, 60_000),
);

test(
  'TIMEOUTocsp = 1: a responder that never answers refuses the server after about a second, not the default ten',
  timed(async () => {
    const held = new Set<Socket>();
    const silent = createServer((socket) => held.add(socket));
    const responder = await listen(silent);
    const service = await clientTunnel('ocsp-timeout', responder, ['TIMEOUTocsp = 1']);
    try {
      const started = Date.now();
      assert.is(await roundTrip(service.port), '');
      const took = Date.now() - started;
      assert.ok(took >= 900 && took < 6000, `refused after ${took} ms`);
      await service.tunnel.waitFor(/ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE.*1000 ms/, 5000);
    } finally {
      await service.stop();
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 60_000),
);

test(
  'OCSPrequire = no without verification is refused at its line (it would do nothing)',
  timed(async () => {
    const port = await freePort();
    const conf = writeConfig(join(dir.path, 'ocsp-useless.conf'), [
      'foreground = yes',
      'syslog = no',
      '[useless]',
      'client = yes',
      `accept = 127.0.0.1:${port}`,
      'connect = 127.0.0.1:1',
      'OCSPrequire = no',
    ]);
    const result = await runTunnel([conf]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /ocsp-useless\.conf:\d+: OCSPrequire: /);
  }, 30_000),
);

test(
  'CAstore, provider and providerParameter (newer stunnels) are refused at their line with the reason',
  timed(async () => {
    const port = await freePort();
    const conf = writeConfig(join(dir.path, 'providers.conf'), [
      'foreground = yes',
      'syslog = no',
      'provider = legacy',
      'providerParameter = legacy:x=y',
      '[store]',
      'client = yes',
      `accept = 127.0.0.1:${port}`,
      'connect = 127.0.0.1:1',
      'CAstore = org.openssl.winstore:',
    ]);
    const result = await runTunnel([conf]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /providers\.conf:3: provider: OpenSSL providers cannot be loaded into Node\.js TLS/);
    assert.match(result.stderr, /providers\.conf:4: providerParameter: /);
    assert.match(result.stderr, /providers\.conf:9: CAstore: OpenSSL store URIs are not reachable/);
  }, 30_000),
);

test.run();
