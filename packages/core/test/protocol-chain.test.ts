import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type Socket, createServer } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EchoServer, type Pki, connectTcp, echoServer, makePki, readAll, tempDir, timed } from '@tunnel/testkit';
import { type Protocol, type ServiceOptions, createTunnel } from '../src/index.js';
import { deadPort, exchange, startTunnel, tlsClient } from './helpers.js';

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

const cert = () => readFileSync(pki.combined('server'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A plain backend that greets with `greeting` (one write) and then echoes. */
async function greetingEcho(greeting: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.write(greeting);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads from a raw socket until `pattern` has been seen; returns everything read (paused-mode reads, nothing lost). */
async function readUntil(socket: Socket, pattern: RegExp): Promise<string> {
  let text = '';
  while (!pattern.test(text)) {
    const chunk: Buffer | null = socket.read();
    if (chunk === null) await once(socket, 'readable');
    else text += chunk.toString('latin1');
  }
  return text;
}

/** Server-mode STARTTLS-like dialogue: relay the upstream greeting line, wait for STARTTLS, answer "220 go". */
const starttlsServer = (pauseMs = 0): Protocol => ({
  name: 'fake-starttls',
  contract: 1,
  modes: ['server'],
  async preTls(ctx) {
    const remote = ctx.remote;
    if (remote === undefined) throw new Error('remote not connected before preTls');
    const greeting = await remote.readLine();
    await ctx.local.writeLine(greeting);
    const command = await ctx.local.readLine();
    if (command !== 'STARTTLS') throw Object.assign(new Error(`expected STARTTLS, got ${command}`), { code: 'ERR_TEST_NO_STARTTLS' });
    await ctx.local.writeLine('220 go');
    if (pauseMs > 0) await sleep(pauseMs);
  },
});

function serverService(extra: Partial<ServiceOptions> & { connect: ServiceOptions['connect'] }): ServiceOptions {
  return { name: 'svc', mode: 'server', accept: [{ host: '127.0.0.1', port: 0 }], cert: cert(), ...extra };
}

/** A Duplex over `socket` that writes in `size`-byte pieces, one per macrotask, to split TLS records across reads. */
function choppy(socket: Socket, size: number): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      let offset = 0;
      const step = () => {
        if (offset >= chunk.length) return callback();
        socket.write(chunk.subarray(offset, offset + size));
        offset += size;
        setImmediate(step);
      };
      step();
    },
    final(callback) {
      socket.end();
      callback();
    },
  });
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  duplex.on('close', () => socket.destroy());
  return duplex;
}

test(
  'server-mode preTls: the upstream greeting is relayed, bytes the upstream sent past it reach the TLS client first',
  timed(async () => {
    const backend = await greetingEcho('220 hi\r\nEXTRA:');
    const { tunnel, port } = await startTunnel([
      serverService({ connect: [{ host: '127.0.0.1', port: backend.port }], protocol: starttlsServer() }),
    ]);
    try {
      const raw = await connectTcp(port());
      assert.is(await readUntil(raw, /220 hi\r\n/), '220 hi\r\n');
      raw.write('STARTTLS\r\n');
      assert.is(await readUntil(raw, /220 go\r\n/), '220 go\r\n');
      const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
      await once(secure, 'secureConnect');
      const back = await exchange(secure, Buffer.from('payload'));
      assert.is(back.toString(), 'EXTRA:payload');
    } finally {
      await tunnel.close({ graceful: false });
      await backend.close();
    }
  }),
);

test(
  'server-mode preTls: plaintext pipelined after STARTTLS is rejected (CVE-2011-0411) and logged with its code',
  timed(async () => {
    const backend = await greetingEcho('220 hi\r\n');
    const { tunnel, port, logger } = await startTunnel([
      serverService({ connect: [{ host: '127.0.0.1', port: backend.port }], protocol: starttlsServer() }),
    ]);
    try {
      const raw = await connectTcp(port());
      raw.on('error', () => {});
      await readUntil(raw, /220 hi\r\n/);
      raw.write('STARTTLS\r\nRCPT TO:<victim@example.com>\r\n');
      const closed = Promise.race([once(raw, 'close'), once(raw, 'end')]);
      raw.resume();
      await closed;
      raw.destroy();
      await logger.waitFor(/LOG3\[\d+\]: preTls: \d+ byte\(s\) of plaintext received before the TLS handshake/);
      assert.not.match(logger.text(), /220 go/);
    } finally {
      await tunnel.close({ graceful: false });
      await backend.close();
    }
  }),
);

test(
  'a ClientHello that reached the socket buffer before the TLS wrap, then arrives in 3-byte pieces, loses no byte',
  timed(async () => {
    const backend = await greetingEcho('220 hi\r\n');
    // The hook pauses after "220 go": the client's first TLS bytes land in the socket's JS buffer before core wraps it.
    const { tunnel, port } = await startTunnel([
      serverService({ connect: [{ host: '127.0.0.1', port: backend.port }], protocol: starttlsServer(150) }),
    ]);
    try {
      const raw = await connectTcp(port());
      await readUntil(raw, /220 hi\r\n/);
      raw.write('STARTTLS\r\n');
      await readUntil(raw, /220 go\r\n/);
      const client = tlsConnect({ socket: choppy(raw, 3) as never, rejectUnauthorized: false });
      await once(client, 'secureConnect');
      const back = await exchange(client, Buffer.from('odd chunks'));
      assert.is(back.toString(), 'odd chunks');
    } finally {
      await tunnel.close({ graceful: false });
      await backend.close();
    }
  }),
);

test(
  'server-mode postTls chooses the upstream inside TLS with setTarget; bytes after its request go upstream first',
  timed(async () => {
    const chooser: Protocol = {
      name: 'chooser',
      contract: 1,
      modes: ['server'],
      async postTls(ctx) {
        assert.is(ctx.remote, undefined);
        assert.is(ctx.tls?.protocol, 'TLSv1.3');
        const line = await ctx.local.readLine();
        ctx.setTarget({ host: '127.0.0.1', port: Number(line.split(' ')[1]) });
        await ctx.connectRemote();
        assert.throws(
          () => ctx.setTarget({ host: '127.0.0.1', port: 1 }),
          (e: { code: string }) => e.code === 'ERR_TUNNEL_REMOTE_CONNECTED',
        );
        await ctx.local.writeLine('OK');
      },
    };
    const { tunnel, port } = await startTunnel([
      serverService({ connect: [{ host: '127.0.0.1', port: await deadPort() }], protocol: chooser }),
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      const back = await exchange(client, Buffer.from(`GO ${echo.port}\nleftover-first`));
      assert.is(back.toString(), 'OK\r\nleftover-first');
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'server-mode preConnect runs first, before the upstream exists, and its target is used',
  timed(async () => {
    const order: string[] = [];
    const early: Protocol = {
      name: 'early',
      contract: 1,
      modes: ['server', 'client'],
      async preConnect(ctx) {
        order.push(`preConnect remote=${ctx.remote === undefined ? 'none' : 'open'} peer=${ctx.peer.address}`);
        ctx.setTarget({ host: '127.0.0.1', port: echo.port });
      },
      async postTls(ctx) {
        order.push(`postTls remote=${ctx.remote === undefined ? 'none' : 'open'}`);
      },
    };
    const { tunnel, port } = await startTunnel([
      serverService({ connect: [{ host: '127.0.0.1', port: await deadPort() }], protocol: early }),
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      assert.is((await exchange(client, Buffer.from('ping'))).toString(), 'ping');
      assert.equal(order, ['preConnect remote=none peer=127.0.0.1', 'postTls remote=none']);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

/** A TLS server behind a plaintext STARTTLS-like dialogue (a scripted stand-in for an SMTP server), echoing after TLS. */
async function starttlsBackend(): Promise<{ port: number; received: () => string; close(): Promise<void> }> {
  let received = '';
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, async (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.write('220 ready\r\n');
    const command = await readUntil(socket, /\r\n/);
    if (command !== 'STARTTLS\r\n') return void socket.destroy();
    socket.write('220 go\r\n');
    const secure = new TLSSocket(socket, { isServer: true, cert: readFileSync(pki.cert('server')), key: readFileSync(pki.key('server')) });
    secure.on('error', () => {});
    secure.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    secure.on('end', () => secure.end(`echo:${received}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

test(
  'client-mode preTls negotiates on the upstream before TLS; postTls writes a header inside TLS; the client bytes a preConnect read past its line go first',
  timed(async () => {
    const backend = await starttlsBackend();
    const plugin: Protocol = {
      name: 'client-starttls',
      contract: 1,
      modes: ['client'],
      async preConnect(ctx) {
        const hello = await ctx.local.readLine();
        ctx.state.set('hello', hello);
      },
      async preTls(ctx) {
        const remote = ctx.remote;
        if (remote === undefined) throw new Error('remote not connected');
        assert.is(await remote.readLine(), '220 ready');
        await remote.writeLine('STARTTLS');
        assert.is(await remote.readLine(), '220 go');
      },
      async postTls(ctx) {
        await ctx.remote?.write(`HEADER ${String(ctx.state.get('hello'))}\n`);
      },
    };
    const { tunnel, port } = await startTunnel([
      {
        name: 'cli',
        mode: 'client',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: backend.port }],
        protocol: plugin,
      },
    ]);
    try {
      const plain = await connectTcp(port());
      const back = await exchange(plain, Buffer.from('HELLO me\nrest-of-data'));
      assert.is(back.toString(), 'echo:HEADER HELLO me\nrest-of-data');
    } finally {
      await tunnel.close({ graceful: false });
      await backend.close();
    }
  }),
);

test(
  'a hook that throws rejects the connection and its code is logged',
  timed(async () => {
    const refuse: Protocol = {
      name: 'refuse',
      contract: 1,
      modes: ['server'],
      async postTls() {
        throw Object.assign(new Error('not today'), { code: 'ERR_TEST_REFUSED' });
      },
    };
    const { tunnel, port, logger } = await startTunnel([
      serverService({ connect: [{ host: '127.0.0.1', port: echo.port }], protocol: refuse }),
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      client.on('error', () => {});
      await readAll(client).catch(() => Buffer.alloc(0));
      await logger.waitFor(/LOG3\[\d+\]: postTls: not today/);
      assert.is(echo.connections() >= 0, true);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test('a plugin of another contract major version is refused at service setup', () => {
  try {
    createTunnel({
      services: [serverService({ connect: [{ host: '127.0.0.1', port: 1 }], protocol: { name: 'v2', contract: 2, modes: ['server'] } })],
    });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TUNNEL_PROTOCOL_CONTRACT');
    assert.match((error as Error).message, /contract 2/);
  }
});

test('a plugin used in a mode it does not support is refused at service setup', () => {
  try {
    createTunnel({
      services: [
        serverService({ connect: [{ host: '127.0.0.1', port: 1 }], protocol: { name: 'connect', contract: 1, modes: ['client'] } }),
      ],
    });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TUNNEL_PROTOCOL_MODE');
  }
});

test('a plugin validate() refusing its options stops service setup', () => {
  const strict: Protocol = {
    name: 'strict',
    contract: 1,
    modes: ['server'],
    validate(options) {
      if (options.host === undefined) throw Object.assign(new Error('protocolHost is required'), { code: 'ERR_TEST_NO_HOST' });
    },
  };
  try {
    createTunnel({ services: [serverService({ connect: [{ host: '127.0.0.1', port: 1 }], protocol: strict })] });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TEST_NO_HOST');
  }
});

test.run();
