import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  type EchoServer,
  echoServer,
  freePort,
  makePki,
  type Pki,
  type RunningProcess,
  startProcess,
  tempDir,
  timed,
  withTimeout,
} from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel, startTunnel, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;
let echo: EchoServer;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  echo = await echoServer();
});

test.after(async () => {
  await echo.close();
  dir.remove();
});

/**
 * Runs `openssl s_client` once. With `ticket`, stdin stays open until the `-sess_out` file exists: s_client
 * writes it when a TLS 1.3 NewSessionTicket arrives after the handshake (its piped stdout is buffered, so the
 * output cannot tell). Otherwise stdin closes at once.
 */
async function sClient(port: number, args: readonly string[], ticket = false): Promise<string> {
  const client = startProcess('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args]);
  try {
    const file = args[args.indexOf('-sess_out') + 1];
    if (ticket && file !== undefined) {
      await withTimeout(
        (async () => {
          while (!existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 20));
        })(),
        10_000,
        'a TLS 1.3 ticket in the -sess_out file',
      );
    }
    client.child.stdin?.end();
    await withTimeout(client.exited(), 15_000, 'openssl s_client to exit');
  } finally {
    await client.stop();
  }
  return client.output();
}

async function logShows(file: string, pattern: RegExp): Promise<void> {
  await withTimeout(
    (async () => {
      while (!(existsSync(file) && pattern.test(readFileSync(file, 'utf8')))) await new Promise((resolve) => setTimeout(resolve, 50));
    })(),
    10_000,
    `the log to show ${pattern}`,
  );
}

const reusedCount = (output: string) => (output.match(/^Reused, TLSv1\.[23]/gm) ?? []).length;
const newCount = (output: string) => (output.match(/^New, TLSv1\.[23]/gm) ?? []).length;

/** Makes a session with `-sess_out` and reports whether offering it with `-sess_in` resumes it. */
async function resumes(made: number, offered: number, version: '-tls1_2' | '-tls1_3', file: string): Promise<boolean> {
  const tls12 = version === '-tls1_2' ? ['-no_ticket'] : [];
  const first = await sClient(made, [version, ...tls12, '-sess_out', file], version === '-tls1_3');
  assert.is(newCount(first), 1, first);
  const second = await sClient(offered, [version, ...tls12, '-sess_in', file]);
  assert.is(reusedCount(second) + newCount(second), 1, second);
  return reusedCount(second) === 1;
}

function service(name: string, port: number, extra: readonly string[] = []): string[] {
  return [
    `[${name}]`,
    `accept = 127.0.0.1:${port}`,
    `connect = 127.0.0.1:${echo.port}`,
    `cert = ${pki.cert('server')}`,
    `key = ${pki.key('server')}`,
    ...extra,
  ];
}

test(
  'one tunnel: session IDs and tickets resume, sessionResume = no never does, sessionCacheSize = 1 evicts, 0 warns; client mode resumes',
  timed(async () => {
    const ports = { plain: await freePort(), noresume: await freePort(), small: await freePort(), unbounded: await freePort() };
    const out = await freePort();
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
    const log = join(dir.path, 'one.log');
    const conf = writeConfig(join(dir.path, 'one.conf'), [
      'foreground = yes',
      'syslog = no',
      'debug = 6',
      `output = ${log}`,
      ...service('plain', ports.plain),
      ...service('noresume', ports.noresume, ['sessionResume = no']),
      ...service('small', ports.small, ['sessionCacheSize = 1']),
      ...service('unbounded', ports.unbounded, ['sessionCacheSize = 0']),
      '[out]',
      'client = yes',
      `accept = 127.0.0.1:${out}`,
      `connect = 127.0.0.1:${upstream}`,
    ]);
    const tunnel = await startTunnel(conf);
    try {
      // TLS 1.2 session IDs through the session cache: five reconnects, five resumptions.
      assert.is(reusedCount(await sClient(ports.plain, ['-tls1_2', '-no_ticket', '-reconnect'])), 5);
      // TLS 1.3 tickets. s_client -reconnect cannot show it: OpenSSL 3.0 reconnects before the ticket is read.
      const ticket = join(dir.path, 'plain13.pem');
      assert.ok(await resumes(ports.plain, ports.plain, '-tls1_3', ticket));
      let reused = 0;
      for (let i = 0; i < 5; i += 1) reused += reusedCount(await sClient(ports.plain, ['-tls1_3', '-sess_in', ticket]));
      assert.is(reused, 5);
      assert.ok(await resumes(ports.plain, ports.plain, '-tls1_2', join(dir.path, 'plain12.pem')));

      // sessionResume = no: never, by session ID, by TLS 1.2 ticket, or by TLS 1.3 ticket.
      assert.is(reusedCount(await sClient(ports.noresume, ['-tls1_2', '-no_ticket', '-reconnect'])), 0);
      assert.is(reusedCount(await sClient(ports.noresume, ['-tls1_2', '-reconnect'])), 0);
      const noTicket = join(dir.path, 'noresume13.pem');
      await sClient(ports.noresume, ['-tls1_3', '-sess_out', noTicket], true);
      assert.is(reusedCount(await sClient(ports.noresume, ['-tls1_3', '-sess_in', noTicket])), 0);

      // sessionCacheSize = 1: a second session evicts the first.
      const [x, y] = [join(dir.path, 'x.pem'), join(dir.path, 'y.pem')];
      await sClient(ports.small, ['-tls1_2', '-no_ticket', '-sess_out', x]);
      await sClient(ports.small, ['-tls1_2', '-no_ticket', '-sess_out', y]);
      // The second first: the full handshake a miss causes makes a new session, which would evict it in turn.
      assert.is(reusedCount(await sClient(ports.small, ['-tls1_2', '-no_ticket', '-sess_in', y])), 1, 'the second still resumes');
      assert.is(reusedCount(await sClient(ports.small, ['-tls1_2', '-no_ticket', '-sess_in', x])), 0, 'the first was evicted');

      // Client mode: the second connection offers the first one's session to openssl s_server.
      for (let i = 0; i < 2; i += 1) {
        const socket = connect(out, '127.0.0.1');
        socket.end('abc\n');
        await withTimeout(new Promise((resolve) => socket.once('data', resolve)), 10_000, 's_server to answer through tunnel');
        socket.destroy();
      }
      await logShows(log, /TLS connected: previous session reused/);

      // SIGHUP: the session cache and the ticket keys survive a reload.
      tunnel.child.kill('SIGHUP');
      await logShows(log, /Configuration reloaded/);
      assert.is(reusedCount(await sClient(ports.plain, ['-tls1_2', '-no_ticket', '-sess_in', join(dir.path, 'plain12.pem')])), 1);
      assert.is(reusedCount(await sClient(ports.plain, ['-tls1_3', '-sess_in', ticket])), 1);
    } finally {
      await tunnel.stop();
      await server.stop();
    }
    const text = readFileSync(log, 'utf8');
    assert.match(text, /LOG4\[[^\]]*\]: Service \[unbounded\]: sessionCacheSize = 0: the session cache is unbounded/);
    assert.not.match(text, /Service \[plain\]: sessionCacheSize/);
    assert.match(text, /LOG6\[[^\]]*\]: TLS connected: new session negotiated/);
  }, 80_000),
);

test(
  'two tunnels: sessiond (redis-server) shares session IDs and tickets, shared ticket secrets share tickets; redis killed degrades once',
  timed(async () => {
    const redisPort = await freePort();
    const redis = startProcess('redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir.path,
    ]);
    await redis.waitFor(/Ready to accept connections/, 10_000);
    const secrets = ['ticketKeySecret = 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff', `ticketMacSecret = ${'ab'.repeat(32)}`];
    const tunnels: RunningProcess[] = [];
    const ports: Array<{ shared: number; secret: number; log: string }> = [];
    try {
      for (const name of ['a', 'b']) {
        const entry = { shared: await freePort(), secret: await freePort(), log: join(dir.path, `${name}.log`) };
        ports.push(entry);
        const conf = writeConfig(join(dir.path, `${name}.conf`), [
          'foreground = yes',
          'syslog = no',
          `output = ${entry.log}`,
          ...service('shared', entry.shared, [`sessiond = 127.0.0.1:${redisPort}`]),
          ...service('secret', entry.secret, secrets),
        ]);
        const started = await startTunnel(conf).catch((error: Error) => {
          throw new Error(`${error.message}\n${existsSync(entry.log) ? readFileSync(entry.log, 'utf8') : ''}`);
        });
        tunnels.push(started);
      }
      const [a, b] = ports as [(typeof ports)[0], (typeof ports)[0]];
      // Through Redis: a TLS 1.2 session ID made on A resumes on B, and so does a TLS 1.3 ticket (shared keys).
      assert.ok(await resumes(a.shared, b.shared, '-tls1_2', join(dir.path, 'shared12.pem')), 'session ID across instances');
      assert.ok(await resumes(a.shared, b.shared, '-tls1_3', join(dir.path, 'shared13.pem')), 'ticket across instances');
      // No Redis, the same ticketKeySecret/ticketMacSecret: tickets cross, TLS 1.3 and TLS 1.2.
      assert.ok(await resumes(a.secret, b.secret, '-tls1_3', join(dir.path, 'secret13.pem')));
      const ticket12 = join(dir.path, 'secret12.pem');
      await sClient(a.secret, ['-tls1_2', '-sess_out', ticket12]);
      assert.is(reusedCount(await sClient(b.secret, ['-tls1_2', '-sess_in', ticket12])), 1);

      await redis.stop();
      // Handshakes go on (from the local cache or in full) and the outage is logged once.
      for (let i = 0; i < 3; i += 1) {
        const output = await sClient(a.shared, ['-tls1_2', '-no_ticket', '-reconnect']);
        assert.is(reusedCount(output) + newCount(output), 6, output);
      }
      const fresh = await sClient(b.shared, ['-tls1_2', '-no_ticket']);
      assert.is(newCount(fresh), 1);
    } finally {
      for (const tunnel of tunnels) await tunnel.stop();
      await redis.stop();
    }
    for (const entry of ports) {
      const lines = readFileSync(entry.log, 'utf8').match(/LOG4\[[^\]]*\]: Service \[shared\]: session cache degraded: .*/g) ?? [];
      assert.is(lines.length, 1, readFileSync(entry.log, 'utf8'));
    }
  }, 80_000),
);

test(
  'sessiond with a Unix socket path is refused at start-up naming the file, line and option',
  timed(async () => {
    const file = writeConfig(join(dir.path, 'unix-sessiond.conf'), [
      'foreground = yes',
      'syslog = no',
      ...service('unix', 9),
      `sessiond = ${join(dir.path, 'redis.sock')}`,
    ]);
    const result = await runTunnel([file]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /unix-sessiond\.conf:8: sessiond: takes HOST:PORT of a Redis server; a Unix socket path is not supported/);
  }, 20_000),
);

test.run();
