/**
 * `socket = a:|l:|r:OPTION=VALUE` read back from the sockets of a running `tunnel` process: each socket is found
 * through /proc (fd → inode → port), copied into this process with pidfd_getfd, and read with getsockopt; `ss`
 * shows the keepalive timer the kernel runs for the accepted connection.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { closeFd, duplicateFdOf, getSocketOption, type SocketOptionValue } from '@tunnel/os';
import { freePort, makePki, type Pki, run, startProcess, tempDir, timed, which } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

/** One TCP socket of a process: its fd, local and remote port, and state (/proc/net/tcp hex: 01 established, 0A listen). */
interface ProcSocket {
  readonly fd: number;
  readonly localPort: number;
  readonly remotePort: number;
  readonly state: string;
}

/** The TCP sockets of `pid`, from /proc/PID/fd (socket inodes) joined with /proc/PID/net/tcp and tcp6. */
function tcpSocketsOf(pid: number): ProcSocket[] {
  const inodes = new Map<string, number>();
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${name}`));
      if (match !== null) inodes.set(match[1] as string, Number(name));
    } catch {
      // the fd closed while we listed it
    }
  }
  const out: ProcSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const fd = inodes.get(fields[9] as string);
      if (fd === undefined) continue;
      const port = (address: string) => Number.parseInt(address.split(':')[1] as string, 16);
      out.push({ fd, localPort: port(fields[1] as string), remotePort: port(fields[2] as string), state: fields[3] as string });
    }
  }
  return out;
}

/** getsockopt on a socket of another process, through a pidfd_getfd copy. */
function optionOf(pid: number, fd: number, name: string): SocketOptionValue {
  const copy = duplicateFdOf(pid, fd);
  try {
    return getSocketOption(copy, name);
  } finally {
    closeFd(copy);
  }
}

test(
  'socket = a:, l: and r: options are in force on the listener, the accepted socket and the upstream socket of a running tunnel',
  timed(async () => {
    const upstreamPort = await freePort();
    const server = startProcess('openssl', [
      's_server',
      '-accept',
      `127.0.0.1:${upstreamPort}`,
      '-cert',
      pki.cert('server'),
      '-key',
      pki.key('server'),
    ]);
    await server.waitFor(/ACCEPT/, 10_000);
    const port = await freePort();
    const tunnel = await startTunnel(
      writeConfig(join(dir.path, 'sockets.conf'), [
        'foreground = yes',
        'syslog = no',
        'debug = info',
        '[sockets]',
        'client = yes',
        `accept = 127.0.0.1:${port}`,
        `connect = 127.0.0.1:${upstreamPort}`,
        'socket = a:SO_REUSEADDR=no',
        'socket = a:SO_RCVBUF=32768',
        'socket = l:SO_KEEPALIVE=yes',
        'socket = l:TCP_KEEPIDLE=77',
        'socket = r:SO_SNDBUF=65536',
        'socket = r:TCP_NODELAY=yes',
      ]),
    );
    const client = connect({ host: '127.0.0.1', port });
    try {
      await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
      await tunnel.waitFor(/TLS connected/, 10_000);
      const pid = tunnel.child.pid as number;
      const sockets = tcpSocketsOf(pid);
      const listener = sockets.find((s) => s.localPort === port && s.state === '0A');
      const accepted = sockets.find((s) => s.localPort === port && s.state === '01');
      const upstream = sockets.find((s) => s.remotePort === upstreamPort && s.state === '01');
      assert.ok(listener && accepted && upstream, JSON.stringify(sockets));

      // a: on the listener (the kernel doubles a buffer size for its bookkeeping: socket(7)).
      assert.is(optionOf(pid, listener.fd, 'SO_REUSEADDR'), false);
      assert.is(optionOf(pid, listener.fd, 'SO_RCVBUF'), 65536);
      // l: on the accepted socket, not on the upstream one.
      assert.is(optionOf(pid, accepted.fd, 'SO_KEEPALIVE'), true);
      assert.is(optionOf(pid, accepted.fd, 'TCP_KEEPIDLE'), 77);
      assert.is(optionOf(pid, upstream.fd, 'SO_KEEPALIVE'), false);
      // r: on the upstream socket only.
      assert.is(optionOf(pid, upstream.fd, 'SO_SNDBUF'), 131072);
      assert.is.not(optionOf(pid, accepted.fd, 'SO_SNDBUF'), 131072);
      assert.is(optionOf(pid, upstream.fd, 'TCP_NODELAY'), true);

      // The kernel's own view: a keepalive timer of at most 77 s runs on the accepted connection.
      if ((await which('ss')) !== undefined) {
        const ss = await run('ss', ['-tno', 'state', 'established', `( sport = :${port} )`]);
        const timer = /timer:\(keepalive,(?:(\d+)min)?(\d+)(?:\.\d+)?(m?s)ec/.exec(ss);
        assert.ok(timer, ss);
        const seconds = Number(timer[1] ?? 0) * 60 + Number(timer[2]) / (timer[3] === 'ms' ? 1000 : 1);
        assert.ok(seconds > 60 && seconds <= 77, ss);
      }
    } finally {
      client.destroy();
      await tunnel.stop();
      await server.stop();
    }
  }, 30_000),
);

test.run();
