import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { echoServer, freePort, makePki, type Pki, startProcess, tempDir, timed, which } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

async function waitListening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** 'echoed' when the round trip works, otherwise what ended the connection. */
function roundTrip(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(pki.ca) });
    socket.on('secureConnect', () => socket.write('who'));
    socket.on('data', (chunk) => {
      resolve(chunk.toString() === 'who' ? 'echoed' : chunk.toString());
      socket.destroy();
    });
    socket.on('error', (error) => resolve(error.message));
    socket.on('close', () => resolve('closed'));
  });
}

test(
  'ident = USER: a real identd (oidentd) names the connecting user; a match is served, another user is refused',
  timed(async () => {
    const program = await which('oidentd');
    assert.ok(program, 'oidentd must be installed (packages/cli/ci/apt.txt)');
    const me = process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'root');
    const config = join(dir.path, 'oidentd.conf');
    writeFileSync(config, '');
    const identPort = await freePort();
    const identd = startProcess(program, ['-i', '-S', '-C', config, '-a', '127.0.0.1', '-p', String(identPort)]);
    const echo = await echoServer();
    const [mine, theirs] = [await freePort(), await freePort()];
    const service = (name: string, port: number, user: string) => [
      `[${name}]`,
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
      `ident = ${user}`,
    ];
    try {
      await waitListening(identPort);
      const file = writeConfig(join(dir.path, 'ident.conf'), [
        'foreground = yes',
        'syslog = no',
        ...service('mine', mine, me),
        ...service('theirs', theirs, 'nobody'),
      ]);
      const tunnel = await startTunnel(file, { TUNNEL_IDENT_PORT: String(identPort) });
      try {
        assert.is(await roundTrip(mine), 'echoed');
        assert.is.not(await roundTrip(theirs), 'echoed');
        await tunnel.waitFor(new RegExp(`LOG3\\[\\d+\\]: accept: ident user "${me}" is not "nobody"`), 5000);
        assert.is(await roundTrip(mine), 'echoed', 'the service keeps serving after a refusal');
      } finally {
        await tunnel.stop();
      }
    } finally {
      await identd.stop();
      await echo.close();
    }
  }, 30_000),
);

test.run();
