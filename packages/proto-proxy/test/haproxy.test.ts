/**
 * Real peer: Debian's haproxy, started privately. Sending: our header goes to a frontend with
 * `accept-proxy` that echoes the client address it believes (`%ci:%cp`) and the destination (`%fi:%fp`).
 * Receiving: haproxy `send-proxy` / `send-proxy-v2` in front of a server using `readProxyHeader`.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { type ProtocolContext, StreamChannel } from '@tunnel/protocol';
import { listen, makePki, type Pki, type RunningProcess, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol, readProxyHeader } from '../src/index.js';

const dir = tempDir('tunnel-proxy-');
let pki: Pki;
let haproxy: RunningProcess;
const ports = { echo: 0, relayV1: 0, relayV2: 0, receiver: 0 };
let receiver: net.Server;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  // The receiving side: parse the header haproxy sends, answer with what we learnt, then echo the payload.
  receiver = net.createServer((socket) => {
    socket.on('error', () => {});
    const channel = new StreamChannel(socket);
    readProxyHeader(channel).then(
      async (header) => {
        // The start-up probe closes without a payload: nothing to answer then.
        const payload = await channel.readLine().catch(() => undefined);
        if (payload !== undefined) socket.end(`${JSON.stringify({ header, payload })}\n`);
      },
      (error: { code: string }) => socket.end(`error ${error.code}\n`),
    );
  });
  ports.receiver = await listen(receiver);
  ports.echo = await freePort();
  ports.relayV1 = await freePort();
  ports.relayV2 = await freePort();
  const config = join(dir.path, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  log stderr format raw local0 info',
      'defaults',
      '  log global',
      '  timeout connect 5s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend echo',
      '  mode http',
      `  bind 127.0.0.1:${ports.echo} accept-proxy`,
      '  http-request return status 200 content-type text/plain lf-string "client=%ci:%cp dest=%fi:%fp"',
      'listen relay-v1',
      '  mode tcp',
      `  bind 127.0.0.1:${ports.relayV1}`,
      `  server r 127.0.0.1:${ports.receiver} send-proxy`,
      'listen relay-v2',
      '  mode tcp',
      `  bind 127.0.0.1:${ports.relayV2}`,
      `  server r 127.0.0.1:${ports.receiver} send-proxy-v2`,
      '',
    ].join('\n'),
  );
  haproxy = startProcess('haproxy', ['-db', '-f', config]);
  // haproxy prints nothing on a clean start in -db mode: wait until the frontend accepts connections.
  for (let attempt = 0; ; attempt += 1) {
    try {
      const probe = net.connect(ports.relayV1, '127.0.0.1');
      await Promise.race([once(probe, 'connect'), once(probe, 'error').then(([error]) => Promise.reject(error))]);
      probe.destroy();
      break;
    } catch (error) {
      if (attempt > 50) throw new Error(`haproxy did not start: ${haproxy.output()}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
});

test.after(async () => {
  await haproxy?.stop();
  receiver?.close();
  dir.remove();
});

for (const version of ['1', '2'] as const) {
  test(
    `haproxy accept-proxy sees the real client and destination from our v${version} header`,
    timed(async () => {
      // A TLS server whose secure connections run the plugin's postTls, as core will.
      let serverSide: ProtocolContext | undefined;
      const server = tls.createServer({ cert: pki.read('server.pem'), key: pki.read('server.key') }, (secure) => {
        secure.on('error', () => {});
        const log = () => {};
        let remote: StreamChannel | undefined;
        let upstream: net.Socket | undefined;
        serverSide = {
          mode: 'server',
          service: 't',
          peer: { address: secure.remoteAddress ?? '', port: secure.remotePort ?? 0, family: secure.remoteFamily ?? 'unix' },
          options: { extra: { version } },
          signal: new AbortController().signal,
          log: { error: log, warning: log, notice: log, info: log, debug: log },
          local: new StreamChannel(secure),
          get remote() {
            return remote;
          },
          setTarget: () => {},
          connectRemote: async () => {
            upstream = net.connect(ports.echo, '127.0.0.1');
            await once(upstream, 'connect');
            remote = new StreamChannel(upstream);
            return remote;
          },
          tls: undefined,
          state: new Map(),
        };
        void protocol.postTls?.(serverSide).then(() => {
          upstream?.on('error', () => {});
          secure.pipe(upstream as net.Socket).pipe(secure);
        });
      });
      const port = await listen(server);
      const client = tls.connect({ port, host: '127.0.0.1', ca: pki.read('ca.pem'), servername: 'localhost' });
      try {
        await once(client, 'secureConnect');
        const clientPort = client.localPort;
        client.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n');
        const chunks: Buffer[] = [];
        for await (const chunk of client) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks).toString();
        assert.match(body, /^HTTP\/1\.[01] 200/);
        assert.ok(body.endsWith(`client=127.0.0.1:${clientPort} dest=127.0.0.1:${port}`), body);
      } finally {
        client.destroy();
        server.close();
      }
    }),
  );

  test(
    `readProxyHeader understands haproxy's send-proxy${version === '2' ? '-v2' : ''} header`,
    timed(async () => {
      const relay = version === '1' ? ports.relayV1 : ports.relayV2;
      const client = net.connect(relay, '127.0.0.1');
      await once(client, 'connect');
      const clientPort = client.localPort;
      client.write('hello after the header\n');
      const chunks: Buffer[] = [];
      for await (const chunk of client) chunks.push(chunk as Buffer);
      const { header, payload } = JSON.parse(Buffer.concat(chunks).toString()) as {
        header: { version: number; family: string; source: unknown; destination: unknown };
        payload: string;
      };
      assert.is(header.version, Number(version));
      assert.is(header.family, 'tcp4');
      assert.equal(header.source, { address: '127.0.0.1', port: clientPort });
      assert.equal(header.destination, { address: '127.0.0.1', port: relay });
      assert.is(payload, 'hello after the header');
    }),
  );
}

test.run();
