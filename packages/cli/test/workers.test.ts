import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { echoServer, freePort, makePki, type Pki, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';
import { curl, echoThrough, sampleValue, waitForCount } from './ops-helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

/** The JSON log lines of the output (the primary's and every worker's). */
function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const service = (name: string, port: number, backend: number) => [
  `[${name}]`,
  `accept = 127.0.0.1:${port}`,
  `connect = 127.0.0.1:${backend}`,
  `cert = ${pki.combined('server')}`,
];

test(
  'workers = 2: 40 connections spread over both workers, metrics add up exactly, SIGHUP reaches both, SIGTERM exits 0 and removes the pid file',
  timed(async () => {
    const echo = await echoServer();
    const [port, second, metrics] = [await freePort(), await freePort(), await freePort()];
    const pid = join(dir.path, 'workers.pid');
    const file = join(dir.path, 'workers.conf');
    const head = ['foreground = yes', 'syslog = no', 'logFormat = json', 'workers = 2', `metrics = ${metrics}`, `pid = ${pid}`];
    writeConfig(file, [...head, ...service('web', port, echo.port)]);
    const tunnel = await startTunnel(file);
    try {
      assert.match(tunnel.output(), /Configuration successful; 1 service\(s\) listening in 2 worker\(s\)/);
      assert.is(readFileSync(pid, 'utf8'), `${tunnel.child.pid}\n`);
      const listening = jsonLines(tunnel.output()).filter((line) => /^Worker \d: 1 service\(s\) listening$/.test(String(line.message)));
      assert.equal(listening.map((line) => line.worker).sort(), [1, 2]);
      const count = 40;
      for (let i = 0; i < count; i++) await echoThrough(port, 100 + i);
      const bytes = count * 100 + (count * (count - 1)) / 2;
      await waitForCount(tunnel, /Connection closed/g, count);
      const scraped = (await curl(`http://127.0.0.1:${metrics}/metrics`)).body;
      const [byOne = 0, byTwo = 0] = [1, 2].map(
        (w) => sampleValue(scraped, `tunnel_connections_accepted_total{service="web",worker="${w}"}`) ?? 0,
      );
      assert.ok(byOne > 0 && byTwo > 0, `both workers served: ${byOne} and ${byTwo}`);
      assert.is(byOne + byTwo, count);
      const [fromFirst = 0, fromSecond = 0] = [1, 2].map(
        (w) => sampleValue(scraped, `tunnel_received_bytes_total{service="web",worker="${w}"}`) ?? 0,
      );
      assert.is(fromFirst + fromSecond, bytes);
      assert.is(sampleValue(scraped, 'tunnel_workers_up'), 2);
      assert.is((await curl(`http://127.0.0.1:${metrics}/health`)).status, 200);

      writeConfig(file, [...head, ...service('web', port, echo.port), ...service('added', second, echo.port)]);
      tunnel.child.kill('SIGHUP');
      await tunnel.waitFor(/Configuration reloaded in 2 worker\(s\)/, 15_000);
      const reloadedBy = jsonLines(tunnel.output())
        .filter((line) => line.message === 'Configuration reloaded' && line.id === undefined)
        .map((line) => line.worker);
      assert.ok(reloadedBy.includes(1) && reloadedBy.includes(2), `both workers reloaded: ${reloadedBy}`);
      for (let i = 0; i < 6; i++) await echoThrough(second, 10);
      const after = (await curl(`http://127.0.0.1:${metrics}/metrics`)).body;
      for (const w of [1, 2]) {
        const served = sampleValue(after, `tunnel_connections_accepted_total{service="added",worker="${w}"}`) ?? 0;
        assert.ok(served > 0, `worker ${w} serves the service added on reload`);
      }

      // SIGUSR2 and SIGUSR1 reach every worker: each lists its (no) connections, each reopens the log.
      tunnel.child.kill('SIGUSR2');
      await waitForCount(tunnel, /Listed 0 active connection\(s\)/g, 2, 5000);
      tunnel.child.kill('SIGUSR1');
      await waitForCount(tunnel, /Log file reopened/g, 3, 5000);

      tunnel.child.kill('SIGTERM');
      assert.is(await tunnel.exited(), 0);
      assert.not.ok(existsSync(pid), 'the pid file is removed');
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 60_000),
);

test(
  'a worker killed from outside is restarted after a pause and serves again',
  timed(async () => {
    const echo = await echoServer();
    const [port, metrics] = [await freePort(), await freePort()];
    const file = writeConfig(join(dir.path, 'restart.conf'), [
      'foreground = yes',
      'syslog = no',
      'workers = 2',
      `metrics = ${metrics}`,
      ...service('web', port, echo.port),
    ]);
    const tunnel = await startTunnel(file);
    try {
      const { execFileSync } = await import('node:child_process');
      const children = execFileSync('pgrep', ['-P', String(tunnel.child.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map(Number);
      assert.is(children.length, 2);
      process.kill(children[0] as number, 'SIGKILL');
      await tunnel.waitFor(/Worker \d \(pid \d+\) died \(signal SIGKILL\) after \d+ s; restarting it in \d+ ms/, 5000);
      await tunnel.waitFor(/Worker \d \(pid \d+\) listening/, 15_000);
      for (let i = 0; i < 4; i++) await echoThrough(port, 50);
      const scraped = (await curl(`http://127.0.0.1:${metrics}/metrics`)).body;
      const restarts = [1, 2].map((w) => sampleValue(scraped, `tunnel_worker_restarts_total{worker="${w}"}`) ?? -1);
      assert.equal([...restarts].sort(), [0, 1]);
      assert.is(sampleValue(scraped, 'tunnel_workers_up'), 2);
      tunnel.child.kill('SIGTERM');
      assert.is(await tunnel.exited(), 0);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 40_000),
);

test(
  'workers are refused with inetd mode, a Unix accept socket and a configuration from -fd, saying why',
  timed(async () => {
    const { runTunnel } = await import('./helpers.js');
    const inetd = writeConfig(join(dir.path, 'inetd.conf'), [
      'syslog = no',
      'workers = 2',
      'connect = 127.0.0.1:1',
      `cert = ${pki.combined('server')}`,
    ]);
    const first = await runTunnel([inetd]);
    assert.is(first.code, 1);
    assert.match(first.stderr, /workers: inetd mode/);
    assert.match(first.stderr, /ERR_TUNNEL_WORKERS_UNSUPPORTED/);
    const unix = writeConfig(join(dir.path, 'unix.conf'), [
      'foreground = yes',
      'syslog = no',
      'workers = 2',
      '[sock]',
      `accept = ${join(dir.path, 'w.sock')}`,
      'connect = 127.0.0.1:1',
      `cert = ${pki.combined('server')}`,
    ]);
    const second = await runTunnel([unix]);
    assert.is(second.code, 1);
    assert.match(second.stderr, /service \[sock\] accepts on a Unix socket/);
    const third = await runTunnel(['-fd', '0'], {
      input: [
        'foreground = yes',
        'syslog = no',
        'workers = 2',
        '[x]',
        'accept = 127.0.0.1:0',
        'connect = 127.0.0.1:1',
        `cert = ${pki.combined('server')}`,
      ].join('\n'),
    });
    assert.is(third.code, 1);
    assert.match(third.stderr, /workers: a configuration read from a descriptor \(-fd\)/);
  }, 30_000),
);

test(
  'with workers, a TLS session made on one worker resumes on the other (cluster-shared session cache and ticket keys)',
  timed(async () => {
    const echo = await echoServer();
    const [port, metrics] = [await freePort(), await freePort()];
    const file = writeConfig(join(dir.path, 'resume.conf'), [
      'foreground = yes',
      'syslog = no',
      'workers = 2',
      `metrics = ${metrics}`,
      ...service('web', port, echo.port),
    ]);
    const tunnel = await startTunnel(file);
    try {
      let session: Buffer | undefined;
      const reused: boolean[] = [];
      for (let i = 0; i < 6; i++) {
        const socket = connect({
          host: '127.0.0.1',
          port,
          rejectUnauthorized: false,
          maxVersion: 'TLSv1.2',
          ...(session ? { session } : {}),
        });
        socket.once('session', (s: Buffer) => {
          session = s;
        });
        await once(socket, 'secureConnect');
        reused.push(socket.isSessionReused());
        socket.resume();
        socket.end('x');
        await once(socket, 'end');
        socket.destroy();
      }
      assert.equal(reused, [false, true, true, true, true, true]);
      await waitForCount(tunnel, /Connection closed/g, 6);
      const scraped = (await curl(`http://127.0.0.1:${metrics}/metrics`)).body;
      const resumed = [1, 2].map((w) => sampleValue(scraped, `tunnel_tls_resumed_handshakes_total{service="web",worker="${w}"}`) ?? 0);
      assert.ok(
        resumed.every((n) => n > 0),
        `both workers resumed sessions: ${resumed}`,
      );
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 40_000),
);

test(
  'a worker that cannot start (its port is taken) fails the whole start-up with the worker error and exit status 1',
  timed(async () => {
    const { createServer } = await import('node:net');
    const { runTunnel } = await import('./helpers.js');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const file = writeConfig(join(dir.path, 'taken.conf'), [
        'foreground = yes',
        'syslog = no',
        'workers = 2',
        ...service('web', taken, 1),
      ]);
      const result = await runTunnel([file], { timeoutMs: 30_000 });
      assert.is(result.code, 1);
      assert.match(result.stderr, /ERR_TUNNEL_ADDRESS_IN_USE/);
      assert.match(result.stderr, /ERR_TUNNEL_WORKER_START/);
    } finally {
      blocker.close();
    }
  }, 40_000),
);

test.run();
