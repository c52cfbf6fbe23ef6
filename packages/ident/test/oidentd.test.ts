import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { listen, type RunningProcess, startProcess, tempDir, timed, which } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkIdent, IdentError, identEndpoints, queryIdent } from '../src/index.js';

// Debian's oidentd as the client's identd, started privately on a dynamic loopback port.

let identd: RunningProcess;
let identPort = 0;
let directory: { path: string; remove(): void };

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  probe.close();
  await once(probe, 'close');
  return port;
}

async function waitListening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => resolve(true));
      socket.on('error', () => resolve(false));
      socket.on('close', () => socket.destroy());
    }).catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`oidentd did not listen on ${port}: ${identd.output()}`);
}

test.before(async () => {
  const program = await which('oidentd');
  assert.ok(program, 'oidentd must be installed (packages/ident/ci/apt.txt)');
  directory = tempDir('tunnel-ident-');
  // An empty private configuration: default policy, independent of /etc/oidentd.conf.
  const config = join(directory.path, 'oidentd.conf');
  writeFileSync(config, '');
  identPort = await freePort();
  identd = startProcess(program, ['-i', '-S', '-C', config, '-a', '127.0.0.1', '-p', String(identPort)]);
  await waitListening(identPort);
});

test.after(async () => {
  await identd.stop();
  directory.remove();
});

/** A service socket on loopback and one accepted connection from `connect()`. */
async function accepted(connect: (port: number) => Promise<() => void>): Promise<{ socket: net.Socket; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.on('error', () => {}));
  const port = await listen(server);
  const closeClient = await connect(port);
  const [socket] = (await once(server, 'connection')) as [net.Socket];
  return {
    socket,
    close: async () => {
      closeClient();
      socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

test(
  'oidentd names root as the owner of a connection this (root) process opened',
  timed(async () => {
    const pair = await accepted(async (port) => {
      const client = net.connect(port, '127.0.0.1');
      client.on('error', () => {});
      return () => client.destroy();
    });
    try {
      const result = await queryIdent({ ...identEndpoints(pair.socket), port: identPort, timeoutMs: 5000 });
      assert.is(result.userId, 'root');
      assert.is(result.opsys, 'UNIX');
      assert.is(await checkIdent({ ...identEndpoints(pair.socket), port: identPort, username: 'root' }), 'root');
    } finally {
      await pair.close();
    }
  }),
);

test(
  'ident = nobody accepts a client process running as nobody and ident = root rejects it',
  timed(async () => {
    const pair = await accepted(async (port) => {
      // The client connection belongs to another user: a Node child running as uid/gid 65534.
      const child = spawn(process.execPath, ['-e', `require('net').connect(${port}, '127.0.0.1'); process.stdin.resume();`], {
        uid: 65534,
        gid: 65534,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      return () => child.kill();
    });
    try {
      const endpoints = identEndpoints(pair.socket);
      assert.is(await checkIdent({ ...endpoints, port: identPort, username: 'nobody' }), 'nobody');
      try {
        await checkIdent({ ...endpoints, port: identPort, username: 'root' });
        assert.unreachable('should throw');
      } catch (error) {
        assert.instance(error, IdentError);
        assert.is((error as IdentError).code, 'ERR_TUNNEL_IDENT_MISMATCH');
        assert.is((error as IdentError).userId, 'nobody');
      }
    } finally {
      await pair.close();
    }
  }),
);

test(
  'oidentd answers NO-USER for a connection that does not exist',
  timed(async () => {
    try {
      await queryIdent({ remote: { address: '127.0.0.1', port: 1 }, local: { address: '127.0.0.1', port: 2 }, port: identPort });
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, IdentError);
      assert.is((error as IdentError).code, 'ERR_TUNNEL_IDENT_ERROR_REPLY');
      assert.is((error as IdentError).identError, 'NO-USER');
    }
  }),
);

test.run();
