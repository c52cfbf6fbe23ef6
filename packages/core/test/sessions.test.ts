import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { type EchoServer, type Pki, echoServer, makePki, startProcess, tempDir, timed, freePort } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PeerVerifier, ServiceOptions, SessionStore } from '../src/index.js';
import { sessionProtocolVersion } from '../src/tls-handshake.js';
import { startTunnel } from './helpers.js';

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

/** A store that remembers everything, counting calls. */
function mapStore(): SessionStore & { map: Map<string, Buffer>; gets: number; sets: number } {
  const map = new Map<string, Buffer>();
  const store = {
    map,
    gets: 0,
    sets: 0,
    async get(id: Buffer) {
      store.gets += 1;
      return map.get(id.toString('hex'));
    },
    async set(id: Buffer, session: Buffer) {
      store.sets += 1;
      map.set(id.toString('hex'), session);
    },
  };
  return store;
}

function serverService(extra: Partial<ServiceOptions> = {}): ServiceOptions {
  return {
    name: 'sessions',
    mode: 'server',
    accept: [{ host: '127.0.0.1', port: 0 }],
    connect: [{ host: '127.0.0.1', port: echo.port }],
    cert: readFileSync(pki.combined('server')),
    ...extra,
  };
}

/**
 * One Node TLS client connection (OpenSSL underneath) that offers `session`, exchanges a line,
 * and returns whether the server resumed plus the newest session it handed over.
 */
async function connectOnce(options: ConnectionOptions): Promise<{ reused: boolean; session: Buffer | undefined }> {
  const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', rejectUnauthorized: false, ...options });
  let session: Buffer | undefined;
  socket.on('session', (next: Buffer) => {
    session = next;
  });
  await once(socket, 'secureConnect');
  const reused = socket.isSessionReused();
  socket.write('ping\n');
  // The echo answer arrives after any TLS 1.3 tickets the server sent right after its handshake.
  await once(socket, 'data');
  socket.end();
  await once(socket, 'close');
  return { reused, session };
}

test('sessionProtocolVersion reads the version of DER sessions and refuses what is not one', () => {
  const tls12 = Buffer.from('3081a3020101020203030402c030', 'hex');
  const tls13 = Buffer.from('30820100020101020203040402130204', 'hex');
  assert.is(sessionProtocolVersion(tls12), 0x0303);
  assert.is(sessionProtocolVersion(tls13), 0x0304);
  for (const bad of ['', '31', '3003020102', '300402010102', '3006020101020303']) {
    assert.is(sessionProtocolVersion(Buffer.from(bad, 'hex')), undefined, bad);
  }
});

test(
  'server mode: TLS 1.2 session IDs resume through the session store (tickets off on the client)',
  timed(async () => {
    const store = mapStore();
    const { tunnel, port, logger } = await startTunnel([serverService({ sessionStore: store })]);
    try {
      let { session } = await connectOnce({ port: port(), maxVersion: 'TLSv1.2', secureOptions: 0x4000 });
      assert.is(store.sets, 1);
      assert.ok(session);
      for (let i = 0; i < 3; i += 1) {
        const next = await connectOnce({ port: port(), maxVersion: 'TLSv1.2', secureOptions: 0x4000, session });
        assert.ok(next.reused, `connection ${i + 2} resumed`);
        session = next.session ?? session;
      }
      assert.is(store.gets, 3);
      await logger.waitFor(/TLS accepted: previous session reused/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'server mode: TLS 1.3 resumes by ticket and stores no TLS 1.3 session (it could never be looked up)',
  timed(async () => {
    const store = mapStore();
    const { tunnel, port } = await startTunnel([serverService({ sessionStore: store })]);
    try {
      const first = await connectOnce({ port: port() });
      assert.ok(first.session);
      const second = await connectOnce({ port: port(), session: first.session });
      assert.ok(second.reused);
      assert.is(store.sets, 0);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'server mode: two tunnels with the same ticketKeys resume each other’s tickets; different keys do not',
  timed(async () => {
    const keys = Buffer.alloc(48, 7);
    const a = await startTunnel([serverService({ ticketKeys: keys })]);
    const b = await startTunnel([serverService({ ticketKeys: Buffer.from(keys) })]);
    const c = await startTunnel([serverService({ ticketKeys: Buffer.alloc(48, 9) })]);
    try {
      for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
        const first = await connectOnce({ port: a.port(), maxVersion });
        assert.ok(first.session);
        assert.ok((await connectOnce({ port: b.port(), maxVersion, session: first.session })).reused, `${maxVersion} on B`);
        assert.not.ok((await connectOnce({ port: c.port(), maxVersion, session: first.session })).reused, `${maxVersion} on C`);
      }
    } finally {
      await Promise.all([a.tunnel.close({ graceful: false }), b.tunnel.close({ graceful: false }), c.tunnel.close({ graceful: false })]);
    }
  }, 20_000),
);

test(
  'server mode: sessionResume = false never resumes, neither by session ID nor by ticket',
  timed(async () => {
    const store = mapStore();
    const { tunnel, port } = await startTunnel([serverService({ sessionStore: store, sessionResume: false })]);
    try {
      for (const options of [{ maxVersion: 'TLSv1.2' as const, secureOptions: 0x4000 }, { maxVersion: 'TLSv1.2' as const }, {}]) {
        const first = await connectOnce({ port: port(), ...options });
        const second = await connectOnce({ port: port(), ...options, ...(first.session ? { session: first.session } : {}) });
        assert.not.ok(second.reused);
      }
      assert.is(store.sets + store.gets, 0);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'server mode: a store that never answers costs a bounded wait and a full handshake, never a failure',
  timed(async () => {
    const silent: SessionStore = { get: () => new Promise(() => {}), set: () => new Promise(() => {}) };
    const { tunnel, port } = await startTunnel([serverService({ sessionStore: silent })]);
    try {
      const first = await connectOnce({ port: port(), maxVersion: 'TLSv1.2', secureOptions: 0x4000 });
      const started = Date.now();
      const second = await connectOnce({ port: port(), maxVersion: 'TLSv1.2', secureOptions: 0x4000, session: first.session });
      assert.not.ok(second.reused);
      assert.ok(Date.now() - started < 3000, 'bounded by the store time limit');
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'server mode: a session resumes while a client certificate is requested (the session ID context is set)',
  timed(async () => {
    const verifier: PeerVerifier = {
      tlsOptions: { ca: [readFileSync(pki.ca)], requestCert: true },
      check: async () => ({ ok: true }),
    };
    const { tunnel, port } = await startTunnel([serverService({ verifier, sessionStore: mapStore() })]);
    const client = { cert: readFileSync(pki.cert('client')), key: readFileSync(pki.key('client')) };
    try {
      for (const options of [{ maxVersion: 'TLSv1.2' as const, secureOptions: 0x4000 }, {}]) {
        const first = await connectOnce({ port: port(), ...client, ...options });
        assert.ok((await connectOnce({ port: port(), ...client, ...options, session: first.session })).reused);
      }
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'server mode: with OCSP stapling (one server emitter per connection) session IDs still resume through the store',
  timed(async () => {
    let stapled = 0;
    const verifier: PeerVerifier = {
      tlsOptions: {},
      check: async () => ({ ok: true }),
      staple: async () => {
        stapled += 1;
        return undefined;
      },
    };
    const store = mapStore();
    // The chain carries the CA so Node can name the issuer the OCSP request is about.
    const cert = Buffer.concat([readFileSync(pki.combined('server')), readFileSync(pki.ca)]);
    const { tunnel, port } = await startTunnel([serverService({ verifier, sessionStore: store, cert })]);
    try {
      const tls12 = { maxVersion: 'TLSv1.2' as const, secureOptions: 0x4000 };
      // requestOCSP makes Node ask for a staple, so the server's OCSPRequest listener runs.
      const first = await connectOnce({ port: port(), ...tls12, requestOCSP: true } as ConnectionOptions);
      const second = await connectOnce({ port: port(), ...tls12, requestOCSP: true, session: first.session } as ConnectionOptions);
      assert.ok(second.reused);
      assert.is(store.sets, 1);
      assert.ok(stapled >= 1, `staple called ${stapled} time(s)`);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'client mode: the second connection to openssl s_server resumes the first one’s session; sessionResume = false does not',
  timed(async () => {
    for (const sessionResume of [true, false]) {
      const port = await freePort();
      const server = startProcess('openssl', [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-cert',
        pki.cert('server'),
        '-key',
        pki.key('server'),
        '-rev',
      ]);
      await server.waitFor(/ACCEPT/, 10_000);
      const {
        tunnel,
        port: local,
        logger,
      } = await startTunnel([
        {
          name: 'out',
          mode: 'client',
          accept: [{ host: '127.0.0.1', port: 0 }],
          connect: [{ host: '127.0.0.1', port }],
          sessionResume,
        },
      ]);
      try {
        for (let i = 0; i < 2; i += 1) {
          const { connectTcp } = await import('@tunnel/testkit');
          const socket = await connectTcp(local());
          socket.write('abc\n');
          await once(socket, 'data');
          socket.end();
          await once(socket, 'close');
        }
        await logger.waitFor(/TLS connected: new session negotiated/);
        if (sessionResume) await logger.waitFor(/TLS connected: previous session reused/);
        else assert.not.match(logger.text(), /previous session reused/);
      } finally {
        await tunnel.close({ graceful: false });
        await server.stop();
      }
    }
  }, 30_000),
);

test.run();
