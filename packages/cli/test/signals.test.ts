import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { echoServer, freePort, makePki, type Pki, randomPayload, readAll, sha256, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

async function roundTrip(port: number, text: string): Promise<string> {
  const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(pki.ca) });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  socket.write(text);
  const reply = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
  socket.destroy();
  return reply.toString();
}

const service = (name: string, port: number, backend: number) => [
  `[${name}]`,
  `accept = 127.0.0.1:${port}`,
  `connect = 127.0.0.1:${backend}`,
  `cert = ${pki.combined('server')}`,
];

test(
  'SIGHUP adds a service written to the file while the first keeps serving',
  timed(async () => {
    const echo = await echoServer();
    const [first, second] = [await freePort(), await freePort()];
    const file = join(dir.path, 'reload.conf');
    const head = ['foreground = yes', 'syslog = no'];
    writeConfig(file, [...head, ...service('one', first, echo.port)]);
    const tunnel = await startTunnel(file);
    try {
      assert.is(await roundTrip(first, 'before'), 'before');
      writeConfig(file, [...head, ...service('one', first, echo.port), ...service('two', second, echo.port)]);
      tunnel.child.kill('SIGHUP');
      await tunnel.waitFor(/Configuration reloaded/, 10_000);
      assert.is(await roundTrip(second, 'new service'), 'new service');
      assert.is(await roundTrip(first, 'old service'), 'old service');
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 30_000),
);

test(
  'SIGHUP with a broken file keeps the old configuration and says why',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const file = join(dir.path, 'broken-reload.conf');
    writeConfig(file, ['foreground = yes', 'syslog = no', ...service('one', port, echo.port)]);
    const tunnel = await startTunnel(file);
    try {
      writeConfig(file, ['foreground = yes', 'syslog = no', '[one]', 'accept = nonsense:port:x', 'bogus = 1']);
      tunnel.child.kill('SIGHUP');
      await tunnel.waitFor(/Reload failed, the old configuration stays in force:[\s\S]*bogus/, 10_000);
      assert.is(await roundTrip(port, 'still here'), 'still here');
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 30_000),
);

test(
  'SIGUSR1 reopens the log file, so a renamed log is followed by a new one',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const log = join(dir.path, 'tunnel.log');
    const file = writeConfig(join(dir.path, 'usr1.conf'), [
      'foreground = yes',
      'syslog = no',
      `output = ${log}`,
      ...service('one', port, echo.port),
    ]);
    const tunnel = await startTunnel(file);
    try {
      renameSync(log, `${log}.1`);
      tunnel.child.kill('SIGUSR1');
      await tunnel.waitFor(/Log file reopened/, 10_000);
      await roundTrip(port, 'x');
      for (let i = 0; i < 50 && !(existsSync(log) && /accepted connection/.test(readFileSync(log, 'utf8'))); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.match(readFileSync(log, 'utf8'), /Service \[one\] accepted connection/);
      assert.match(readFileSync(`${log}.1`, 'utf8'), /Configuration successful/);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 30_000),
);

test(
  'a 50 MB transfer in flight survives five SIGHUPs with its checksum intact',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const file = writeConfig(join(dir.path, 'hup-load.conf'), ['foreground = yes', 'syslog = no', ...service('bulk', port, echo.port)]);
    const tunnel = await startTunnel(file);
    try {
      const payload = randomPayload(50 * 1024 * 1024);
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(pki.ca) });
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      const received = readAll(socket);
      socket.end(payload);
      for (let hup = 1; hup <= 5; hup++) {
        await new Promise((resolve) => setTimeout(resolve, 60));
        tunnel.child.kill('SIGHUP');
      }
      const echoed = await received;
      assert.is(echoed.length, payload.length);
      assert.is(sha256(echoed), sha256(payload));
      await tunnel.waitFor(/(Configuration reloaded[\s\S]*){5}/, 10_000);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 60_000),
);

test.run();
