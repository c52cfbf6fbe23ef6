import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { echoServer, freePort, makePki, type Pki, run, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_ARGS, startTunnel, writeConfig } from './helpers.js';
import { waitForCount } from './ops-helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

type Line = Record<string, unknown> & { message: string; event?: string };

function parseAll(text: string): Line[] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

test(
  'logFormat = json: every line is one JSON object; open, handshake (with SNI and ALPN), close and verification failure carry their fields',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const log = join(dir.path, 'json.log');
    const file = writeConfig(join(dir.path, 'json.conf'), [
      'foreground = yes',
      'syslog = no',
      'logFormat = json',
      'debug = info',
      `output = ${log}`,
      '[web]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
      `CAfile = ${pki.ca}`,
      'verify = 2',
      'alpn = h2,http/1.1',
    ]);
    const tunnel = await startTunnel(file);
    try {
      // A client with a certificate: a full handshake, 11 bytes each way.
      const client = tlsConnect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ca: readFileSync(pki.ca),
        cert: readFileSync(pki.cert('client')),
        key: readFileSync(pki.key('client')),
        maxVersion: 'TLSv1.2',
        ALPNProtocols: ['http/1.1'],
      });
      await once(client, 'secureConnect');
      client.end('hello world');
      let back = '';
      client.on('data', (chunk) => (back += chunk));
      await once(client, 'end');
      assert.is(back, 'hello world');
      // openssl s_client without a certificate: the certificate policy says no.
      await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost'], { input: '' }).catch(() => '');
      await waitForCount(tunnel, /connection\.close/g, 2);
      tunnel.child.kill('SIGTERM');
      assert.is(await tunnel.exited(), 0);

      const lines = parseAll(readFileSync(log, 'utf8'));
      for (const line of lines) {
        assert.type(line.time, 'string');
        assert.ok(!Number.isNaN(Date.parse(line.time as string)), 'ISO time');
        assert.type(line.level, 'string');
        assert.type(line.severity, 'number');
        assert.type(line.message, 'string');
      }
      assert.ok(lines.some((l) => l.message.startsWith('Configuration successful')));
      const events = (name: string) => lines.filter((l) => l.event === name);
      const opened = events('connection.open');
      assert.is(opened.length, 2);
      assert.is((opened[0]?.peer as { address: string } | undefined)?.address, '127.0.0.1');
      assert.is(opened[0]?.service, 'web');

      const [handshake] = events('tls.handshake');
      assert.is(handshake?.version, 'TLSv1.2');
      assert.type(handshake?.cipher, 'string');
      assert.is(handshake?.sni, 'localhost');
      assert.is(handshake?.alpn, 'http/1.1');
      assert.is(handshake?.resumed, false);
      assert.match(String(handshake?.peerSubject), /CN=client/);
      assert.is(handshake?.id, opened[0]?.id);

      const closed = events('connection.close');
      const good = closed.find((l) => l.id === opened[0]?.id);
      assert.is(good?.bytesToTls, 11);
      assert.is(good?.bytesToSocket, 11);
      assert.type(good?.durationMs, 'number');
      assert.is(good?.code, undefined);

      const [rejected] = events('tls.verification-failure');
      assert.is(rejected?.code, 'ERR_TUNNEL_PEER_REJECTED');
      assert.match(String(rejected?.reason), /certificate/i);
      const bad = closed.find((l) => l.id === rejected?.id);
      assert.is(bad?.code, 'ERR_TUNNEL_PEER_REJECTED');
      assert.is(bad?.level, 'err');

      // The same lines went to stderr (foreground = yes).
      const stderrLines = tunnel
        .output()
        .trimEnd()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      assert.is(stderrLines.length, lines.length);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 40_000),
);

test(
  'logFormat = text (the default) writes stunnel lines and no JSON',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const file = writeConfig(join(dir.path, 'text.conf'), [
      'foreground = yes',
      'syslog = no',
      '[web]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
    ]);
    const tunnel = await startTunnel(file);
    try {
      assert.match(tunnel.output(), /^\d{4}\.\d\d\.\d\d \d\d:\d\d:\d\d LOG5\[ui\]: Configuration successful/m);
      assert.not.match(tunnel.output(), /^\{/m);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 20_000),
);

test(
  'logFormat = json with syslog = yes sends each JSON object as the syslog message, with the usual priority',
  timed(async () => {
    const socket = join(dir.path, 'json-log.sock');
    const receiver = startProcess('socat', ['-u', `UNIX-RECV:${socket}`, '-']);
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const file = writeConfig(join(dir.path, 'json-syslog.conf'), [
        'foreground = quiet',
        'syslog = yes',
        'logFormat = json',
        'service = tunnel-json',
        'debug = local3.notice',
        '[svc]',
        'client = yes',
        'accept = 127.0.0.1:0',
        'connect = 127.0.0.1:9',
        'verify = 0',
      ]);
      const tunnel = startProcess(process.execPath, [...NODE_ARGS, file], { env: { ...process.env, TUNNEL_SYSLOG_SOCKET: socket } });
      try {
        const [, json] = (await receiver.waitFor(
          /<157>.*tunnel-json\[\d+\]: (\{[^\n]*"Configuration successful[^\n]*\})/,
          15_000,
        )) as string[];
        const record = JSON.parse(json as string) as Record<string, unknown>;
        assert.is(record.level, 'notice');
        assert.is(record.severity, 5);
      } finally {
        await tunnel.stop();
      }
    } finally {
      await receiver.stop();
    }
  }, 30_000),
);

test.run();
