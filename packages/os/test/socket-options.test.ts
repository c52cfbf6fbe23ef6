import { once } from 'node:events';
import net from 'node:net';
import { connectTcp, listen, run, timed, which } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatSocketOptions,
  formatSocketOptionValue,
  getSocketOption,
  listSocketOptions,
  OsError,
  parseSocketOptionSpec,
  parseSocketOptionValue,
  type SocketOptionValue,
  setSocketOption,
  socketFd,
  socketOptionTable,
} from '../src/index.js';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.instance(error, OsError);
    return (error as OsError).code;
  }
  return 'none';
}

const values: [string, string, SocketOptionValue][] = [
  ['SO_KEEPALIVE', 'yes', true],
  ['SO_REUSEADDR', 'no', false],
  ['SO_RCVBUF', '65536', 65536],
  ['IP_TTL', '-1', -1],
  ['SO_LINGER', '1:60', { onoff: 1, linger: 60 }],
  ['SO_RCVTIMEO', '5:250000', { sec: 5, usec: 250000 }],
  ['SO_BINDTODEVICE', 'lo', 'lo'],
];
for (const [name, text, value] of values) {
  test(`${name}=${text} parses to ${JSON.stringify(value)} and prints back`, () => {
    assert.equal(parseSocketOptionValue(name, text), value);
    assert.is(formatSocketOptionValue(value), text);
  });
}

const badValues: [string, string, string][] = [
  ['SO_KEEPALIVE', '1', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_KEEPALIVE', 'YES', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_RCVBUF', '12k', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_RCVBUF', '99999999999', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_RCVBUF', '', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_LINGER', '1', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_LINGER', '1:2:3', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_SNDTIMEO', 'a:b', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_BINDTODEVICE', '', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_BINDTODEVICE', 'a-name-longer-than-15', 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'],
  ['SO_NOSUCH', 'yes', 'ERR_TUNNEL_OS_UNKNOWN_OPTION'],
  ['so_keepalive', 'yes', 'ERR_TUNNEL_OS_UNKNOWN_OPTION'],
];
for (const [name, text, code] of badValues) {
  test(`${name}=${JSON.stringify(text)} is refused with ${code}`, () => {
    assert.is(
      codeOf(() => parseSocketOptionValue(name, text)),
      code,
    );
  });
}

test('socket = lines parse into target, name and value', () => {
  assert.equal(parseSocketOptionSpec('l:SO_LINGER=1:60'), { target: 'local', name: 'SO_LINGER', value: { onoff: 1, linger: 60 } });
  assert.equal(parseSocketOptionSpec('r:SO_OOBINLINE=yes'), { target: 'remote', name: 'SO_OOBINLINE', value: true });
  assert.equal(parseSocketOptionSpec(' a:SO_REUSEADDR=no '), { target: 'accept', name: 'SO_REUSEADDR', value: false });
  assert.is(
    codeOf(() => parseSocketOptionSpec('x:SO_REUSEADDR=no')),
    'ERR_TUNNEL_OS_BAD_OPTION_VALUE',
  );
  assert.is(
    codeOf(() => parseSocketOptionSpec('a:SO_REUSEADDR')),
    'ERR_TUNNEL_OS_BAD_OPTION_VALUE',
  );
  assert.is(
    codeOf(() => parseSocketOptionSpec('a:SO_FOO=1')),
    'ERR_TUNNEL_OS_UNKNOWN_OPTION',
  );
});

// A value the kernel keeps as given for each option (SO_RCVBUF/SO_SNDBUF are doubled by Linux, see socket(7)).
const settings: [string, SocketOptionValue, SocketOptionValue][] = [
  ['SO_KEEPALIVE', true, true],
  ['SO_DONTROUTE', true, true],
  ['SO_LINGER', { onoff: 1, linger: 60 }, { onoff: 1, linger: 60 }],
  ['SO_OOBINLINE', true, true],
  ['SO_RCVBUF', 65536, 131072],
  ['SO_SNDBUF', 65536, 131072],
  ['SO_RCVLOWAT', 16, 16],
  ['SO_RCVTIMEO', { sec: 3, usec: 500000 }, { sec: 3, usec: 500000 }],
  ['SO_SNDTIMEO', { sec: 1, usec: 0 }, { sec: 1, usec: 0 }],
  ['SO_REUSEADDR', true, true],
  ['SO_BINDTODEVICE', 'lo', 'lo'],
  ['TCP_KEEPCNT', 3, 3],
  ['TCP_KEEPIDLE', 30, 30],
  ['TCP_KEEPINTVL', 5, 5],
  ['IP_TOS', 0x10, 0x10],
  ['IP_TTL', 17, 17],
  ['TCP_NODELAY', true, true],
  ['IP_FREEBIND', true, true],
];

async function connectedPair(): Promise<{ client: net.Socket; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.on('error', () => {}));
  const port = await listen(server);
  const client = await connectTcp(port);
  return {
    client,
    close: async () => {
      client.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

test(
  'every option stunnel lists can be set on a live socket and read back',
  timed(async () => {
    const { client, close } = await connectedPair();
    try {
      const fd = socketFd(client);
      for (const [name, value, expected] of settings) {
        setSocketOption(fd, name, value);
        assert.equal(getSocketOption(fd, name), expected, name);
      }
      setSocketOption(fd, 'SO_KEEPALIVE', false);
      assert.is(getSocketOption(fd, 'SO_KEEPALIVE'), false);
    } finally {
      await close();
    }
  }),
);

test(
  'IPV6_V6ONLY is set on an IPv6 socket before it binds',
  timed(async () => {
    const server = net.createServer();
    server.listen({ port: 0, host: '::1', ipv6Only: true });
    await once(server, 'listening');
    try {
      assert.is(getSocketOption(socketFd(server as unknown as net.Socket), 'IPV6_V6ONLY'), true);
    } finally {
      server.close();
    }
  }),
);

test(
  'system call failures carry the errno name in the code',
  timed(async () => {
    const { client, close } = await connectedPair();
    const fd = socketFd(client);
    try {
      assert.is(
        codeOf(() => setSocketOption(fd, 'SO_BINDTODEVICE', 'nosuchif0')),
        'ERR_TUNNEL_OS_ENODEV',
      );
      assert.is(
        codeOf(() => setSocketOption(fd, 'IPV6_V6ONLY', true)),
        'ERR_TUNNEL_OS_ENOPROTOOPT',
      );
      assert.is(
        codeOf(() => setSocketOption(fd, 'SO_LINGER', true)),
        'ERR_TUNNEL_OS_BAD_OPTION_VALUE',
      );
      assert.is(
        codeOf(() => setSocketOption(fd, 'TCP_NODELAY', 2 ** 40)),
        'ERR_TUNNEL_OS_BAD_OPTION_VALUE',
      );
    } finally {
      await close();
    }
    assert.is(
      codeOf(() => getSocketOption(fd, 'SO_KEEPALIVE')),
      'ERR_TUNNEL_OS_EBADF',
    );
    assert.is(
      codeOf(() => getSocketOption(-1, 'SO_KEEPALIVE')),
      'ERR_TUNNEL_OS_BAD_FD',
    );
    assert.is(
      codeOf(() => socketFd(client)),
      'ERR_TUNNEL_OS_BAD_FD',
    );
    const message = (() => {
      try {
        getSocketOption(fd, 'SO_KEEPALIVE');
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    assert.match(message, /getsockopt\(\) failed with EBADF/);
  }),
);

test('listSocketOptions reads one default for every option in stunnel order', () => {
  const rows = listSocketOptions();
  assert.equal(
    rows.map((row) => row.name),
    socketOptionTable().map((info) => info.name),
  );
  const reuse = rows.find((row) => row.name === 'SO_REUSEADDR');
  assert.equal(reuse, { name: 'SO_REUSEADDR', accept: true, local: undefined, remote: undefined, osDefault: false });
});

test(
  'the -sockets table is identical to what Debian stunnel4 prints on this machine',
  timed(async () => {
    const stunnel = await which('stunnel4');
    assert.ok(stunnel, 'stunnel4 must be installed (packages/os/ci/apt.txt)');
    // stunnel prints the table on stderr; 2>&1 through sh keeps this to one run() call.
    const output = await run('sh', ['-c', `"${stunnel}" -sockets 2>&1`]);
    const start = output.indexOf('Socket option defaults:');
    assert.ok(start >= 0, output);
    assert.fixture(formatSocketOptions(listSocketOptions()), output.slice(start));
  }),
);

test.run();
