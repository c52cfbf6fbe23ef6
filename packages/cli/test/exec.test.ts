/**
 * `exec`, `execArgs`, `pty`, `setEnv`, `retry` through the real `tunnel` CLI, with `openssl s_client` / `s_server`
 * as the peers and Debian's stunnel4 run on the same service for comparison.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  connectTcp,
  echoServer,
  freePort,
  listen,
  makePki,
  type Pki,
  randomPayload,
  readAll,
  run,
  sha256,
  startProcess,
  tempDir,
  timed,
  which,
} from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_ARGS, startTunnel, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  // The programs run as `nobody` in the setuid test: the directory must be searchable and the scripts readable.
  chmodSync(dir.path, 0o755);
});
test.after(() => dir.remove());

/** Writes an executable shell script into the test directory. */
function script(name: string, body: string): string {
  const path = join(dir.path, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

/**
 * One `openssl s_client -quiet` session: writes `input`, collects everything the server sends (binary-safe) until the
 * server closes. `-quiet` ignores the end of stdin, so the server's close ends the session.
 */
function sClient(port: number, input: Buffer | string, args: readonly string[] = [], ms = 15_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-quiet', '-verify_quiet', '-connect', `127.0.0.1:${port}`, ...args], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s_client did not finish within ${ms} ms; got ${Buffer.concat(chunks).length} byte(s)`));
    }, ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

const clientCert = () => ['-cert', pki.cert('client'), '-key', pki.key('client')];

/** A server-mode service running `exec` (plus `extra` lines), with the foreground log on stderr. */
function serverConfig(name: string, port: number, extra: readonly string[], globals: readonly string[] = []): string {
  return writeConfig(join(dir.path, `${name}.conf`), [
    'foreground = yes',
    'syslog = no',
    'debug = info',
    ...globals,
    `[${name}]`,
    `accept = 127.0.0.1:${port}`,
    `cert = ${pki.combined('server')}`,
    `CAfile = ${pki.ca}`,
    'verify = 1',
    ...extra,
  ]);
}

const ENV_SCRIPT = 'env | grep -E "^(REMOTE_HOST|REMOTE_PORT|SSL_CLIENT_DN|SSL_CLIENT_I_DN|TUNNEL_SET)=" | sort; tty; echo END';

test(
  'exec in server mode: the program sees REMOTE_HOST, REMOTE_PORT, the client certificate names, setEnv and "not a tty"',
  timed(async () => {
    const port = await freePort();
    const program = script('env.sh', ENV_SCRIPT);
    const tunnel = await startTunnel(serverConfig('env', port, [`exec = ${program}`, 'setEnv = TUNNEL_SET=a b=c']));
    try {
      const text = (await sClient(port, '', clientCert())).toString();
      assert.match(text, /^REMOTE_HOST=127\.0\.0\.1$/m);
      assert.match(text, /^REMOTE_PORT=\d+$/m);
      assert.match(text, /^SSL_CLIENT_DN=CN=client$/m);
      assert.match(text, /^SSL_CLIENT_I_DN=CN=Tunnel Test CA$/m);
      assert.match(text, /^TUNNEL_SET=a b=c$/m);
      assert.match(text, /^not a tty$/m);
      assert.match(text, /^END$/m);
      // Without a client certificate the names are absent, not empty.
      const anonymous = (await sClient(port, '')).toString();
      assert.match(anonymous, /^REMOTE_HOST=127\.0\.0\.1$/m);
      assert.not.match(anonymous, /SSL_CLIENT_DN/);
      await tunnel.waitFor(/Local mode child started \(PID=\d+\)/);
    } finally {
      await tunnel.stop();
    }
  }, 30_000),
);

test(
  'pty = yes: the program runs on a pseudo-terminal, so tty prints its /dev/pts path',
  timed(async () => {
    const port = await freePort();
    const program = script('tty.sh', 'tty; echo END');
    const tunnel = await startTunnel(serverConfig('pty', port, [`exec = ${program}`, 'pty = yes']));
    try {
      const text = (await sClient(port, '')).toString();
      assert.match(text, /^\/dev\/pts\/\d+\r$/m);
      assert.match(text, /^END\r$/m);
      await tunnel.waitFor(/Local mode child started \(PID=\d+\) on \/dev\/pts\/\d+/);
    } finally {
      await tunnel.stop();
    }
  }, 30_000),
);

test(
  'a 1 MB payload through the program (head -c, no pty) comes back sha256-identical, and execArgs sets its argv',
  timed(async () => {
    const port = await freePort();
    const size = 1024 * 1024;
    const tunnel = await startTunnel(serverConfig('bulk', port, ['exec = /usr/bin/head', `execArgs = head -c ${size}`]));
    try {
      const payload = randomPayload(size);
      const back = await sClient(port, payload);
      assert.is(back.length, size);
      assert.is(sha256(back), sha256(payload));
      await tunnel.waitFor(/Child process \d+ finished with code 0/);
    } finally {
      await tunnel.stop();
    }
  }, 40_000),
);

test(
  'a program that cannot be started: the connection is closed, the error names the path, the service keeps serving',
  timed(async () => {
    const port = await freePort();
    const tunnel = await startTunnel(serverConfig('missing', port, ['exec = /nonexistent/tunnel-program']));
    try {
      for (let i = 0; i < 2; i += 1) assert.is((await sClient(port, 'hello\n')).length, 0);
      await tunnel.waitFor(/(exec \/nonexistent\/tunnel-program: the program could not be started \(ENOENT\)[\s\S]*){2}/);
      assert.match(tunnel.output(), /ERR_TUNNEL_EXEC_FAILED|could not be started/);
    } finally {
      await tunnel.stop();
    }
  }, 30_000),
);

test(
  'under setuid = nobody the program runs with the dropped privileges',
  timed(async () => {
    if (process.getuid?.() !== 0) {
      console.log('  (skipped: needs root to drop privileges)');
      return;
    }
    const port = await freePort();
    const tunnel = await startTunnel(serverConfig('uid', port, ['exec = /usr/bin/id', 'execArgs = id -u'], ['setuid = nobody']));
    try {
      assert.is((await sClient(port, '')).toString().trim(), '65534');
    } finally {
      await tunnel.stop();
    }
  }, 30_000),
);

test(
  'stunnel4 on the same service hands the program the same REMOTE_HOST, SSL_CLIENT_DN, SSL_CLIENT_I_DN and tty answer',
  timed(async () => {
    const stunnel = await which('stunnel4');
    if (stunnel === undefined) {
      console.log('  (skipped: stunnel4 is not installed)');
      return;
    }
    const program = script('env-compare.sh', ENV_SCRIPT);
    const [ourPort, theirPort] = [await freePort(), await freePort()];
    const lines = (port: number) => [
      'foreground = yes',
      'pid =',
      '[cmp]',
      `accept = 127.0.0.1:${port}`,
      `cert = ${pki.combined('server')}`,
      `CAfile = ${pki.ca}`,
      'verify = 1',
      `exec = ${program}`,
    ];
    const ours = await startTunnel(writeConfig(join(dir.path, 'cmp-tunnel.conf'), lines(ourPort)));
    const theirs = startProcess(stunnel, [writeConfig(join(dir.path, 'cmp-stunnel.conf'), lines(theirPort))]);
    try {
      await theirs.waitFor(/Configuration successful/, 10_000);
      const normalize = (text: string) => text.replace(/^REMOTE_PORT=\d+$/m, 'REMOTE_PORT=N');
      const a = normalize((await sClient(ourPort, '', clientCert())).toString());
      const b = normalize((await sClient(theirPort, '', clientCert())).toString());
      assert.match(b, /^SSL_CLIENT_DN=CN=client$/m);
      assert.is(a, b);
    } finally {
      await Promise.all([ours.stop(), theirs.stop()]);
    }
  }, 40_000),
);

test(
  'exec in client mode is the TLS side: a stunnel4 inetd-mode server started per connection serves the plaintext client',
  timed(async () => {
    const stunnel = await which('stunnel4');
    if (stunnel === undefined) {
      console.log('  (skipped: stunnel4 is not installed)');
      return;
    }
    const echo = await echoServer();
    // stunnel's inetd mode: service options in the global section, TLS on stdin/stdout, the plaintext to `connect`.
    const inetd = writeConfig(join(dir.path, 'inetd-server.conf'), [
      `output = ${join(dir.path, 'inetd-server.log')}`,
      `cert = ${pki.combined('server')}`,
      `connect = 127.0.0.1:${echo.port}`,
    ]);
    const port = await freePort();
    const tunnel = await startTunnel(
      writeConfig(join(dir.path, 'client-exec.conf'), [
        'foreground = yes',
        'syslog = no',
        'debug = info',
        '[client-exec]',
        'client = yes',
        `accept = 127.0.0.1:${port}`,
        `exec = ${stunnel}`,
        `execArgs = stunnel4 ${inetd}`,
        `CAfile = ${pki.ca}`,
        'verify = 2',
      ]),
    );
    try {
      // No half-close: stunnel answers a close_notify with its own and stops sending, so wait for the echo first.
      const socket = await connectTcp(port);
      socket.write('hello through a TLS program\n');
      const [echoed] = (await once(socket, 'data')) as [Buffer];
      assert.is(echoed.toString(), 'hello through a TLS program\n');
      socket.end();
      await readAll(socket);
      await tunnel.waitFor(/TLS connected: new session negotiated/);
      await tunnel.waitFor(/Certificate accepted: .*CN=localhost/);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 30_000),
);

test(
  'under chroot the exec path is looked up inside the jail, and the program runs there',
  timed(async () => {
    if (process.getuid?.() !== 0) {
      console.log('  (skipped: chroot needs root)');
      return;
    }
    // A minimal jail: /bin/sh with the libraries ldd names, a marker file, and the program at /prog.sh inside it.
    const jail = join(dir.path, 'jail');
    const install = (path: string) => {
      mkdirSync(join(jail, dirname(path)), { recursive: true });
      copyFileSync(path, join(jail, path));
    };
    install('/bin/sh');
    for (const match of (await run('ldd', ['/bin/sh'])).matchAll(/(\/\S+\.so[^\s]*)/g)) install(match[1] as string);
    writeFileSync(join(jail, 'inside-the-jail'), '');
    writeFileSync(join(jail, 'prog.sh'), '#!/bin/sh\nif [ -e /inside-the-jail ]; then echo jailed; else echo free; fi\n', { mode: 0o755 });
    const port = await freePort();
    const tunnel = await startTunnel(serverConfig('jailed', port, ['exec = /prog.sh'], [`chroot = ${jail}`]));
    try {
      assert.is((await sClient(port, '')).toString(), 'jailed\n');
    } finally {
      await tunnel.stop();
    }
  }, 30_000),
);

test(
  'inetd mode with exec: when inetd hands over the accepted socket, the program gets the client as REMOTE_HOST/REMOTE_PORT',
  timed(async () => {
    const program = script('inetd-env.sh', ENV_SCRIPT);
    const conf = writeConfig(join(dir.path, 'inetd-exec.conf'), [
      'foreground = quiet',
      'syslog = no',
      `output = ${join(dir.path, 'inetd-exec.log')}`,
      `cert = ${pki.combined('server')}`,
      `exec = ${program}`,
    ]);
    // A one-connection inetd: the accepted TCP socket itself becomes tunnel's stdin and stdout.
    const server = createServer({ pauseOnConnect: true }, (socket) => {
      const child = spawn(process.execPath, [...NODE_ARGS, conf], { stdio: [socket, socket, 'ignore'] });
      child.on('spawn', () => socket.destroy());
    });
    await listen(server);
    try {
      const port = (server.address() as AddressInfo).port;
      const text = (await sClient(port, '')).toString();
      assert.match(text, /^REMOTE_HOST=127\.0\.0\.1$/m);
      assert.match(text, /^REMOTE_PORT=\d+$/m);
      assert.match(text, /^not a tty$/m);
      assert.match(readFileSync(join(dir.path, 'inetd-exec.log'), 'utf8'), /accepted connection from 127\.0\.0\.1:\d+/);
    } finally {
      server.close();
    }
  }, 30_000),
);

test(
  'pty = yes matches stunnel4: the terminal keeps its default settings, so input is echoed and newlines come back as CR LF',
  timed(async () => {
    const stunnel = await which('stunnel4');
    if (stunnel === undefined) {
      console.log('  (skipped: stunnel4 is not installed)');
      return;
    }
    const program = script('pty-read.sh', 'read line; echo "got:$line"');
    const [ourPort, theirPort] = [await freePort(), await freePort()];
    const lines = (port: number) => [
      'foreground = yes',
      'pid =',
      '[pty-cmp]',
      `accept = 127.0.0.1:${port}`,
      `cert = ${pki.combined('server')}`,
      `exec = ${program}`,
      'pty = yes',
    ];
    const ours = await startTunnel(writeConfig(join(dir.path, 'pty-tunnel.conf'), lines(ourPort)));
    const theirs = startProcess(stunnel, [writeConfig(join(dir.path, 'pty-stunnel.conf'), lines(theirPort))]);
    try {
      await theirs.waitFor(/Configuration successful/, 10_000);
      const a = (await sClient(ourPort, 'hello\n')).toString();
      const b = (await sClient(theirPort, 'hello\n')).toString();
      assert.is(b, 'hello\r\ngot:hello\r\n');
      assert.is(a, b);
    } finally {
      await Promise.all([ours.stop(), theirs.stop()]);
    }
  }, 40_000),
);

/** A TLS server the connect+exec client connects to: `openssl s_server`, serving one connection after another. */
async function sServer(): Promise<{ port: number; stop(): Promise<void>; output(): string }> {
  const port = await freePort();
  const server = startProcess('openssl', [
    's_server',
    '-accept',
    `127.0.0.1:${port}`,
    '-cert',
    pki.cert('server'),
    '-key',
    pki.key('server'),
  ]);
  await server.waitFor(/ACCEPT/, 10_000);
  return { port, stop: () => server.stop(), output: () => server.output() };
}

/** A connect+exec client service (no accept) whose program counts its runs in a file and says hello to the server. */
function execConnectConfig(name: string, port: number, retry: string | undefined): { config: string; runs(): number } {
  const counter = join(dir.path, `${name}.runs`);
  writeFileSync(counter, '');
  const program = script(`${name}.sh`, `echo run >> ${counter}; echo "hello from run $(wc -l < ${counter})"; sleep 0.2`);
  const config = writeConfig(join(dir.path, `${name}.conf`), [
    'foreground = yes',
    'pid =',
    'syslog = no',
    'debug = info',
    `[${name}]`,
    'client = yes',
    `connect = 127.0.0.1:${port}`,
    `exec = ${program}`,
    ...(retry === undefined ? [] : [`retry = ${retry}`]),
  ]);
  return { config, runs: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0) };
}

test(
  'connect+exec without accept: the program starts at start-up over TLS to connect; retry = 300 starts it again, at most once per 300 ms',
  timed(async () => {
    const server = await sServer();
    const { config, runs } = execConnectConfig('again', server.port, '300');
    const started = Date.now();
    const tunnel = await startTunnel(config);
    try {
      while (runs() < 3) await new Promise((resolve) => setTimeout(resolve, 50));
      await tunnel.waitFor(/Service \[again\] accepted connection from program/);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await tunnel.stop();
    }
    const elapsed = Date.now() - started;
    // Each run takes 200 ms plus the 300 ms pause: never more than one start per 300 ms of wall time.
    assert.ok(runs() <= Math.ceil(elapsed / 300) + 1, `${runs()} runs in ${elapsed} ms`);
    assert.match(server.output(), /hello from run 1/);
    assert.match(server.output(), /hello from run 2/);
    await server.stop();
  }, 40_000),
);

test(
  'connect+exec without retry runs the program exactly once',
  timed(async () => {
    const server = await sServer();
    const { config, runs } = execConnectConfig('once', server.port, undefined);
    const tunnel = await startTunnel(config);
    try {
      await tunnel.waitFor(/Connection closed/, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.is(runs(), 1);
      assert.match(server.output(), /hello from run 1/);
    } finally {
      await tunnel.stop();
      await server.stop();
    }
  }, 30_000),
);

test(
  'retry = yes restarts the program at the same pace as stunnel4 (one second between runs)',
  timed(async () => {
    const stunnel = await which('stunnel4');
    if (stunnel === undefined) {
      console.log('  (skipped: stunnel4 is not installed)');
      return;
    }
    const server = await sServer();
    const ours = execConnectConfig('pace-ours', server.port, 'yes');
    const theirs = execConnectConfig('pace-theirs', server.port, 'yes');
    const tunnel = await startTunnel(ours.config);
    const reference = startProcess(stunnel, [theirs.config]);
    try {
      await reference.waitFor(/Configuration successful/, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 2800));
    } finally {
      await Promise.all([tunnel.stop(), reference.stop()]);
      await server.stop();
    }
    // Runs of 0.2 s with 1 s pauses: three starts in 2.8 s (t = 0, 1.2, 2.4), give or take one for start-up skew.
    const [a, b] = [ours.runs(), theirs.runs()];
    assert.ok(a >= 2 && a <= 4, `tunnel: ${a} runs`);
    assert.ok(b >= 2 && b <= 4, `stunnel4: ${b} runs`);
    assert.ok(Math.abs(a - b) <= 1, `tunnel ${a} runs, stunnel4 ${b}`);
  }, 30_000),
);

test.run();
