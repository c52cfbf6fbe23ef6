import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Pki, makePki, randomPayload, sha256, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { programEnvironment, RETRY_MIN_MS, runExecConnect, TunnelError } from '../src/index.js';
import { exchange, memoryLogger, startTunnel, tlsClient } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

const script = (name: string, body: string): string => {
  const path = join(dir.path, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
};

test(
  'server mode exec: the program gets the decrypted stream on stdin/stdout; 1 MB through cat comes back identical',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'cat',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [],
        exec: { path: '/bin/cat' },
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      const payload = randomPayload(1024 * 1024);
      const back = await exchange(client, payload);
      assert.is(sha256(back), sha256(payload));
      await logger.waitFor(/Child process \d+ finished with code 0/);
      assert.match(logger.text(), /Local mode child started \(PID=\d+\)/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'the environment carries REMOTE_HOST/REMOTE_PORT, setEnv lines and argv from execArgs ($0 included)',
  timed(async () => {
    // argv of the shell itself: a #! script would see its own path as $0 (the kernel rewrites argv for it).
    const program = script('env.sh', 'echo "REMOTE=$REMOTE_HOST:$REMOTE_PORT"; echo "FOO=$FOO"; echo "DN=[$SSL_CLIENT_DN]"');
    const { tunnel, port } = await startTunnel([
      {
        name: 'env',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [],
        exec: {
          path: '/bin/sh',
          args: ['myname', '-c', `tr '\\0' ' ' < /proc/$$/cmdline; echo; . ${program}`],
          env: { FOO: 'bar baz', REMOTE_HOST: 'spoofed' },
        },
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      const localPort = client.localPort;
      const text = (await exchange(client, Buffer.alloc(0))).toString();
      assert.match(text, /^myname -c /);
      assert.match(text, new RegExp(`REMOTE=127\\.0\\.0\\.1:${localPort}\n`));
      assert.match(text, /FOO=bar baz/);
      assert.match(text, /DN=\[\]/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'a program that cannot be started closes that connection with ERR_TUNNEL_EXEC_FAILED naming the path; the service goes on',
  timed(async () => {
    const logger = memoryLogger();
    const { tunnel, port } = await startTunnel(
      [
        {
          name: 'missing',
          mode: 'server',
          accept: [{ host: '127.0.0.1', port: 0 }],
          connect: [],
          exec: { path: '/nonexistent/program' },
          cert: readFileSync(pki.combined('server')),
        },
      ],
      logger,
    );
    try {
      const closes: string[] = [];
      tunnel.on('connectionClose', (event) => closes.push(event.error?.code ?? 'none'));
      for (let i = 0; i < 2; i += 1) {
        const client = await tlsClient({ host: '127.0.0.1', port: port() });
        await exchange(client, Buffer.alloc(0)).catch(() => Buffer.alloc(0));
      }
      await logger.waitFor(/exec \/nonexistent\/program: the program could not be started \(ENOENT\)/);
      while (closes.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(closes, ['ERR_TUNNEL_EXEC_FAILED', 'ERR_TUNNEL_EXEC_FAILED']);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'a connection that ends while the program still runs kills it (SIGTERM)',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'sleepy',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [],
        exec: { path: '/bin/sleep', args: ['sleep', '30'] },
        cert: readFileSync(pki.combined('server')),
        timeouts: { close: 0 },
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      await logger.waitFor(/Local mode child started/);
      client.destroy();
      await logger.waitFor(/Child process \d+ terminated on signal SIGTERM/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'a program that ignores SIGTERM is killed with SIGKILL once TIMEOUTclose has passed',
  timed(async () => {
    const stubborn = script('stubborn.sh', "trap '' TERM; echo ready; while :; do sleep 0.1; done");
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'stubborn',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [],
        exec: { path: stubborn },
        cert: readFileSync(pki.combined('server')),
        timeouts: { close: 1 },
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      await new Promise((resolve) => client.once('data', resolve));
      const closedAt = Date.now();
      client.destroy();
      await logger.waitFor(/Child process \d+ terminated on signal SIGKILL/, 5000);
      assert.ok(Date.now() - closedAt >= 900, 'SIGKILL came before TIMEOUTclose');
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'the program ending its output half-closes like a socket: the client gets everything, then the end, while it may still be sending',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'head',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [],
        // stderr joins the connection by default.
        exec: { path: '/bin/sh', args: ['sh', '-c', 'head -c 5; echo " done" >&2'] },
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      const ended = new Promise((resolve) => client.once('end', resolve));
      // Far more than the program reads: the rest is dropped once its stdin is gone, without an error.
      for (let i = 0; i < 64; i += 1) client.write(Buffer.alloc(16 * 1024, 0x61));
      await ended;
      // Two pipes: stdout and stderr may be read in either order.
      assert.ok(['aaaaa done\n', ' done\naaaaa'].includes(Buffer.concat(chunks).toString()), Buffer.concat(chunks).toString());
      client.end();
      await logger.waitFor(/Connection closed: /);
      assert.not.match(logger.text(), /Connection reset/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'runExecConnect with retryMs 0 still pauses RETRY_MIN_MS between runs, and stops when its signal fires',
  timed(async () => {
    const { createServer } = await import('node:tls');
    const server = createServer({ cert: readFileSync(pki.cert('server')), key: readFileSync(pki.key('server')) }, (socket) => {
      socket.on('data', () => {});
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const controller = new AbortController();
    const runs: string[] = [];
    const started = Date.now();
    const loop = runExecConnect({
      service: {
        name: 'again',
        mode: 'client',
        accept: [],
        connect: [{ host: '127.0.0.1', port }],
        exec: { path: '/bin/echo', args: ['echo', 'hi'], retryMs: 0 },
      },
      signal: controller.signal,
      onRun: (event) => runs.push(event.error?.code ?? 'ok'),
    });
    while (runs.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await loop;
    server.close();
    const elapsed = Date.now() - started;
    assert.ok(runs.length <= Math.floor(elapsed / RETRY_MIN_MS) + 1, `${runs.length} runs in ${elapsed} ms`);
    assert.equal(runs.slice(0, 3), ['ok', 'ok', 'ok']);
  }, 20_000),
);

test(
  'runExecConnect ends its loop with an error line when the program cannot be started, even with retry',
  timed(async () => {
    const logger = memoryLogger();
    const runs: string[] = [];
    await runExecConnect({
      service: {
        name: 'broken',
        mode: 'client',
        accept: [],
        connect: [{ host: '127.0.0.1', port: 9 }],
        exec: { path: '/nonexistent/program', retryMs: 100 },
      },
      logger,
      signal: new AbortController().signal,
      onRun: (event) => runs.push(event.id),
    });
    assert.equal(runs, []);
    assert.match(logger.text(), /LOG3\[\d+\]: exec \/nonexistent\/program: the program could not be started \(ENOENT\)/);
  }, 10_000),
);

test(
  'a program that closed its output and saw the end of its input is left to finish, not killed, when the connection ends',
  timed(async () => {
    const marker = join(dir.path, 'finished-on-its-own');
    const lingering = script('lingering.sh', `exec >&- 2>&-; cat >/dev/null; sleep 0.3; touch ${marker}`);
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'linger',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [],
        exec: { path: lingering },
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      assert.is((await exchange(client, Buffer.from('bye'))).length, 0);
      await logger.waitFor(/Child process \d+ finished with code 0/);
      assert.ok(existsSync(marker));
      assert.not.match(logger.text(), /terminated on signal/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test('programEnvironment: connection facts win over setEnv and inherited values; no REMOTE_* for a non-IP peer', () => {
  const env = programEnvironment(
    { path: '/bin/true', env: { A: '1', REMOTE_PORT: 'x' } },
    { address: '::1', port: 7, family: 'IPv6' },
    undefined,
    {
      A: '0',
      B: '2',
    },
  );
  assert.equal(env, { A: '1', B: '2', REMOTE_PORT: '7', REMOTE_HOST: '::1' });
  const stdio = programEnvironment({ path: '/bin/true' }, { address: 'stdio', port: 0, family: 'unix' }, undefined, {});
  assert.equal(stdio, {});
});

test(
  'runExecConnect refuses a service without connect, with ERR_TUNNEL_CONFIG',
  timed(async () => {
    try {
      await runExecConnect({
        service: { name: 'x', mode: 'client', accept: [], connect: [], exec: { path: '/bin/cat' } },
        signal: new AbortController().signal,
      });
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, TunnelError);
      assert.is((error as TunnelError).code, 'ERR_TUNNEL_CONFIG');
    }
  }, 5_000),
);

test.run();
