import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EchoServer, type Pki, connectTcp, echoServer, makePki, startProcess, tempDir, timed } from '@tunnel/testkit';
import type { PeerVerdict, PeerVerifier, ServiceOptions } from '../src/index.js';
import { bannerServer, exchange, gone, startTunnel, tlsClient } from './helpers.js';

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

/** A structural PeerVerifier: accepts only peers whose certificate CN is `allowed`. */
function cnVerifier(allowed: string, seen: Array<{ mode: string; servername: string | undefined }>): PeerVerifier {
  return {
    tlsOptions: { ca: [readFileSync(pki.ca)], requestCert: true },
    async check(socket: TLSSocket, context): Promise<PeerVerdict> {
      seen.push({ mode: context.mode, servername: context.servername });
      const cn = socket.getPeerX509Certificate()?.subject.match(/CN=([^\n]+)/)?.[1];
      if (cn === undefined) return { ok: false, code: 'ERR_TEST_NO_PEER_CERT', reason: 'no certificate' };
      if (!socket.authorized) return { ok: false, code: 'ERR_TEST_UNTRUSTED', reason: String(socket.authorizationError) };
      return cn === allowed ? { ok: true, subject: `/CN=${cn}` } : { ok: false, code: 'ERR_TEST_WRONG_CN', reason: `CN=${cn}` };
    },
  };
}

const server = (extra: Partial<ServiceOptions>): ServiceOptions => ({
  name: 'verified',
  mode: 'server',
  accept: [{ host: '127.0.0.1', port: 0 }],
  connect: [{ host: '127.0.0.1', port: echo.port }],
  cert: readFileSync(pki.combined('server')),
  ...extra,
});

test(
  'server mode asks for a client certificate when the verifier says so and passes a client it accepts',
  timed(async () => {
    const seen: Array<{ mode: string; servername: string | undefined }> = [];
    const { tunnel, port, logger } = await startTunnel([server({ verifier: cnVerifier('client', seen) })]);
    try {
      const client = await tlsClient({
        host: '127.0.0.1',
        port: port(),
        servername: 'localhost',
        cert: readFileSync(pki.cert('client')),
        key: readFileSync(pki.key('client')),
      });
      assert.is((await exchange(client, Buffer.from('trusted'))).toString(), 'trusted');
      assert.equal(seen, [{ mode: 'server', servername: 'localhost' }]);
      assert.match(logger.text(), /Certificate accepted: \/CN=client/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'a rejected client is closed and the verdict code and reason are logged',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([server({ verifier: cnVerifier('someone-else', []) })]);
    try {
      const client = startProcess('openssl', [
        's_client',
        '-connect',
        `127.0.0.1:${port()}`,
        '-cert',
        pki.cert('client'),
        '-key',
        pki.key('client'),
      ]);
      await logger.waitFor(/LOG3\[\d+\]: tls: Rejected by the certificate policy: ERR_TEST_WRONG_CN: CN=client/);
      await client.stop();
      assert.is(echo.connections() >= 0, true);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'a rejected client goes to the redirect targets instead of connect when redirect is set',
  timed(async () => {
    const honeypot = await bannerServer('redirected');
    const { tunnel, port, logger } = await startTunnel([
      server({ verifier: cnVerifier('someone-else', []), redirect: [{ host: '127.0.0.1', port: honeypot.port }] }),
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      assert.is((await exchange(client, Buffer.alloc(0))).toString(), 'redirected\n');
      assert.match(logger.text(), /Redirecting connection: ERR_TEST_NO_PEER_CERT/);
      assert.is(honeypot.count(), 1);
    } finally {
      await tunnel.close({ graceful: false });
      await honeypot.close();
    }
  }),
);

test(
  'client mode hands the server certificate to the verifier, which can refuse it',
  timed(async () => {
    const { tunnel: backend, port: backendPort } = await startTunnel([server({ name: 'backend' })]);
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'picky-client',
        mode: 'client',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: backendPort() }],
        verifier: cnVerifier('not-localhost', []),
      },
    ]);
    try {
      const plain = await connectTcp(port());
      plain.on('error', () => {});
      plain.resume();
      await gone(plain);
      await logger.waitFor(/Rejected by the certificate policy: ERR_TEST_WRONG_CN: CN=localhost/);
    } finally {
      await tunnel.close({ graceful: false });
      await backend.close({ graceful: false });
    }
  }),
);

for (const renegotiation of [true, false]) {
  test(
    `renegotiation = ${renegotiation ? 'yes lets a TLS 1.2 client renegotiate' : 'no refuses a TLS 1.2 renegotiation'}`,
    timed(async () => {
      const { tunnel, port } = await startTunnel([server({ sslVersion: 'TLSv1.2', renegotiation })]);
      try {
        const client = await tlsClient({ host: '127.0.0.1', port: port(), maxVersion: 'TLSv1.2' });
        client.on('error', () => {});
        const outcome = await new Promise<string>((resolve) => {
          const started = client.renegotiate({ rejectUnauthorized: false }, (error) => resolve(error ? 'refused' : 'renegotiated'));
          if (!started) resolve('refused');
          client.once('close', () => resolve('refused'));
          // OpenSSL answers a refused renegotiation with a no_renegotiation warning: the client's new handshake never completes.
          setTimeout(() => resolve('refused'), 1000);
        });
        assert.is(outcome, renegotiation ? 'renegotiated' : 'refused');
        client.destroy();
      } finally {
        await tunnel.close({ graceful: false });
      }
    }),
  );
}

test.run();
