import { once } from 'node:events';
import net from 'node:net';
import { listen, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkIdent, IdentError, identEndpoints, queryIdent } from '../src/index.js';

// Scripted identd stand-ins, for the faults a real identd will not produce on demand.

interface StandIn {
  readonly port: number;
  /** The query lines received so far. */
  readonly queries: string[];
  close(): Promise<void>;
}

async function standIn(answer: (socket: net.Socket, query: string) => void): Promise<StandIn> {
  const queries: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (text.endsWith('\r\n')) {
        queries.push(text);
        answer(socket, text);
      }
    });
  });
  const port = await listen(server);
  return {
    port,
    queries,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const remote = { address: '127.0.0.1', port: 40001 };
const local = { address: '127.0.0.1', port: 8443 };

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.instance(error, IdentError);
    return (error as IdentError).code;
  }
  return 'none';
}

/** Writes `text` one byte per event-loop turn, the worst split a reader can meet. */
async function dribble(socket: net.Socket, text: string): Promise<void> {
  for (const byte of Buffer.from(text)) {
    socket.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

for (const [how, send] of [
  ['in one write', (socket: net.Socket, line: string) => socket.write(line)],
  ['one byte at a time', (socket: net.Socket, line: string) => void dribble(socket, line)],
  [
    'split inside a field',
    (socket: net.Socket, line: string) => {
      socket.write(line.slice(0, 12));
      setTimeout(() => socket.write(line.slice(12)), 20);
    },
  ],
] as const) {
  test(
    `a USERID reply sent ${how} yields the user id`,
    timed(async () => {
      const server = await standIn((socket) => send(socket, '40001 , 8443 : USERID : UNIX , UTF-8 : alice\r\n'));
      try {
        assert.equal(await queryIdent({ remote, local, port: server.port }), { userId: 'alice', opsys: 'UNIX', charset: 'UTF-8' });
        assert.equal(server.queries, ['40001 , 8443\r\n']);
      } finally {
        await server.close();
      }
    }),
  );
}

const faults: [string, (socket: net.Socket) => void, string, number?][] = [
  ['an ERROR reply', (socket) => socket.end('40001,8443:ERROR:NO-USER\r\n'), 'ERR_TUNNEL_IDENT_ERROR_REPLY'],
  ['a reply about other ports', (socket) => socket.end('40002,8443:USERID:UNIX:mallory\r\n'), 'ERR_TUNNEL_IDENT_PORT_MISMATCH'],
  ['garbage', (socket) => socket.end('HTTP/1.0 400 Bad Request\r\n'), 'ERR_TUNNEL_IDENT_MALFORMED'],
  ['an endless line', (socket) => socket.write('x'.repeat(5000)), 'ERR_TUNNEL_IDENT_TOO_LONG'],
  ['a close before the end of line', (socket) => socket.end('40001,8443:USERID:UNIX:al'), 'ERR_TUNNEL_IDENT_CLOSED'],
  ['silence', () => {}, 'ERR_TUNNEL_IDENT_TIMEOUT', 200],
];
for (const [what, answer, code, timeoutMs] of faults) {
  test(
    `${what} fails the lookup with ${code}`,
    timed(async () => {
      const server = await standIn(answer);
      try {
        assert.is(await codeOf(() => queryIdent({ remote, local, port: server.port, timeoutMs })), code);
      } finally {
        await server.close();
      }
    }),
  );
}

test(
  'an ERROR reply carries the RFC 1413 error token',
  timed(async () => {
    const server = await standIn((socket) => socket.end('40001,8443:ERROR:HIDDEN-USER\r\n'));
    try {
      await queryIdent({ remote, local, port: server.port });
      assert.unreachable('should throw');
    } catch (error) {
      assert.is((error as IdentError).code, 'ERR_TUNNEL_IDENT_ERROR_REPLY');
      assert.is((error as IdentError).identError, 'HIDDEN-USER');
    } finally {
      await server.close();
    }
  }),
);

test(
  'checkIdent accepts only the configured user, case-sensitively',
  timed(async () => {
    const server = await standIn((socket) => socket.end('40001,8443:USERID:UNIX:Alice\r\n'));
    try {
      assert.is(await checkIdent({ remote, local, port: server.port, username: 'Alice' }), 'Alice');
      try {
        await checkIdent({ remote, local, port: server.port, username: 'alice' });
        assert.unreachable('should throw');
      } catch (error) {
        assert.is((error as IdentError).code, 'ERR_TUNNEL_IDENT_MISMATCH');
        assert.is((error as IdentError).userId, 'Alice');
      }
    } finally {
      await server.close();
    }
  }),
);

test(
  'no identd, an abort and bad arguments are reported with their own codes',
  timed(async () => {
    const probe = net.createServer();
    const closed = await listen(probe);
    probe.close();
    await once(probe, 'close');
    assert.is(await codeOf(() => queryIdent({ remote, local, port: closed })), 'ERR_TUNNEL_IDENT_CONNECT');
    assert.is(await codeOf(() => queryIdent({ remote, local, port: closed, signal: AbortSignal.abort() })), 'ERR_TUNNEL_IDENT_ABORTED');
    const server = await standIn(() => {});
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      assert.is(
        await codeOf(() => queryIdent({ remote, local, port: server.port, signal: controller.signal })),
        'ERR_TUNNEL_IDENT_ABORTED',
      );
    } finally {
      await server.close();
    }
    assert.is(await codeOf(() => queryIdent({ remote: { address: 'localhost', port: 1 }, local })), 'ERR_TUNNEL_IDENT_BAD_ARGUMENT');
    assert.is(await codeOf(() => queryIdent({ remote, local: { address: '127.0.0.1', port: 0 } })), 'ERR_TUNNEL_IDENT_BAD_ARGUMENT');
    assert.is(await codeOf(() => queryIdent({ remote, local, port: 70000 })), 'ERR_TUNNEL_IDENT_BAD_ARGUMENT');
  }),
);

test(
  'identEndpoints reads both ends of an accepted socket, unmapping IPv4-mapped addresses',
  timed(async () => {
    const server = net.createServer();
    server.listen(0, '::');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    const [accepted] = (await once(server, 'connection')) as [net.Socket];
    try {
      assert.equal(identEndpoints(accepted), {
        remote: { address: '127.0.0.1', port: client.localPort },
        local: { address: '127.0.0.1', port },
      });
    } finally {
      client.destroy();
      accepted.destroy();
      server.close();
    }
  }),
);

test.run();
