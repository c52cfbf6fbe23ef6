import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { listen, startProcess, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkOcspResponse,
  checkPeer,
  createPeerVerifier,
  loadTrustStore,
  type PeerVerifierOptions,
  parseOcspFlags,
  queryOcsp,
} from '../src/index.js';
import { clientVerdict, sClientVerdict, sServer, verifyingServer } from './harness.js';
import { type OcspFixture, ocspFixture } from './ocsp-fixture.js';
import type { Leaf } from './pki.js';

type Which = 'good' | 'revoked' | 'unknown';

/** Server mode over real TLS: each openssl s_client presents one leaf of the OCSP CA. */
async function serverVerdicts(options: (o: OcspFixture) => PeerVerifierOptions, peers: readonly Which[]): Promise<string[]> {
  const o = await ocspFixture();
  const verifier = await createPeerVerifier({ verify: 2, CAfile: o.ca.cert, ...options(o) });
  const server = await verifyingServer(verifier, { cert: o.good.cert, key: o.good.key });
  try {
    const results: string[] = [];
    for (const peer of peers) {
      const { verdict } = await sClientVerdict(server, ['-cert', o[peer].cert, '-key', o[peer].key]);
      results.push(verdict.ok ? 'ok' : verdict.code);
    }
    return results;
  } finally {
    await server.close();
  }
}

/** Direct policy check of one leaf, without TLS, for the flag matrix. */
async function leafVerdict(
  o: OcspFixture,
  leaf: Leaf,
  ocsp: { url?: string; aia?: boolean; flags?: string[]; nonce?: boolean; require?: boolean },
): Promise<string> {
  const store = await loadTrustStore({ CAfile: o.ca.cert });
  const verdict = await checkPeer([leaf.pem], {
    level: 2,
    store,
    ocsp: {
      url: ocsp.url,
      aia: ocsp.aia,
      nonce: ocsp.nonce,
      flags: parseOcspFlags(ocsp.flags ?? []),
      timeoutMs: 5000,
      require: ocsp.require,
    },
  });
  return verdict.ok ? 'ok' : verdict.code;
}

test(
  'OCSP = URL: a real openssl ocsp responder answers good, revoked and unknown, and a good client follows a rejection',
  timed(async () => {
    assert.equal(await serverVerdicts((o) => ({ OCSP: o.delegatedUrl }), ['good', 'revoked', 'unknown', 'good']), [
      'ok',
      'ERR_TUNNEL_VERIFY_OCSP_REVOKED',
      'ERR_TUNNEL_VERIFY_OCSP_UNKNOWN',
      'ok',
    ]);
  }, 30_000),
);

test(
  'OCSPaia = yes asks the responder named in the peer certificate',
  timed(async () => {
    assert.equal(await serverVerdicts(() => ({ OCSPaia: true }), ['revoked', 'good']), ['ERR_TUNNEL_VERIFY_OCSP_REVOKED', 'ok']);
  }, 30_000),
);

test(
  'client mode OCSPaia rejects a server whose certificate is revoked',
  timed(async () => {
    const o = await ocspFixture();
    const verifier = await createPeerVerifier({ verify: 2, CAfile: o.ca.cert, OCSPaia: true });
    for (const [leaf, expected] of [
      [o.revoked, 'ERR_TUNNEL_VERIFY_OCSP_REVOKED'],
      [o.good, 'ok'],
    ] as const) {
      const server = await sServer(['-cert', leaf.cert, '-key', leaf.key]);
      try {
        const verdict = await clientVerdict(verifier, server.port);
        assert.is(verdict.ok ? 'ok' : verdict.code, expected);
      } finally {
        await server.process.stop();
      }
    }
  }, 30_000),
);

test(
  'OCSPnonce = yes: openssl ocsp echoes the nonce and the answer is accepted',
  timed(async () => {
    const o = await ocspFixture();
    assert.is(await leafVerdict(o, o.good, { url: o.delegatedUrl, nonce: true }), 'ok');
    assert.is(await leafVerdict(o, o.revoked, { url: o.delegatedUrl, nonce: true }), 'ERR_TUNNEL_VERIFY_OCSP_REVOKED');
  }, 30_000),
);

test(
  'OCSPnonce = yes rejects a replayed response whose nonce does not match',
  timed(async () => {
    const o = await ocspFixture();
    const recorded = await queryOcsp({
      certificate: o.good.pem,
      issuer: readFileSync(o.ca.cert),
      url: o.delegatedUrl,
      nonce: true,
      signal: AbortSignal.timeout(5000),
    });
    assert.is(recorded.status, 'good');
    const replay = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.end(recorded.der));
    });
    const port = await listen(replay);
    try {
      assert.is(await leafVerdict(o, o.good, { url: `http://127.0.0.1:${port}/`, nonce: false }), 'ok');
      assert.is(await leafVerdict(o, o.good, { url: `http://127.0.0.1:${port}/`, nonce: true }), 'ERR_TUNNEL_VERIFY_OCSP_INVALID');
    } finally {
      await new Promise<void>((resolve) => replay.close(() => resolve()));
    }
  }, 30_000),
);

test(
  'the responder must be the CA or its delegate: OCSPflag NOCASIGN, NODELEGATED, NOVERIFY and NOINTERN change that as in OpenSSL',
  timed(async () => {
    const o = await ocspFixture();
    const table: Array<[string, string, string[], string]> = [
      ['CA-signed', o.caSignedUrl, [], 'ok'],
      ['CA-signed with NOCASIGN', o.caSignedUrl, ['NOCASIGN'], 'ERR_TUNNEL_VERIFY_OCSP_INVALID'],
      ['delegated', o.delegatedUrl, [], 'ok'],
      ['delegated with NODELEGATED', o.delegatedUrl, ['NODELEGATED'], 'ERR_TUNNEL_VERIFY_OCSP_INVALID'],
      ['delegated with NOINTERN (signer only inside the response)', o.delegatedUrl, ['NOINTERN'], 'ERR_TUNNEL_VERIFY_OCSP_INVALID'],
      ['rogue signer', o.rogueUrl, [], 'ERR_TUNNEL_VERIFY_OCSP_INVALID'],
      ['rogue signer with NOCHECKS (chain still unverified)', o.rogueUrl, ['NOCHECKS'], 'ERR_TUNNEL_VERIFY_OCSP_INVALID'],
      ['rogue signer with NOVERIFY', o.rogueUrl, ['NOVERIFY'], 'ok'],
      ['responder-only flags have no effect', o.delegatedUrl, ['NOCERTS', 'RESPID_KEY', 'NOTIME', 'NOEXPLICIT', 'NOCHAIN'], 'ok'],
    ];
    for (const [name, url, flags, expected] of table) {
      assert.is(await leafVerdict(o, o.good, { url, flags }), expected, name);
    }
  }, 30_000),
);

test(
  'an unreachable or silent responder is ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE within the timeout',
  timed(async () => {
    const o = await ocspFixture();
    const closed = net.createServer();
    const closedPort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.is(await leafVerdict(o, o.good, { url: `http://127.0.0.1:${closedPort}/` }), 'ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE');
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    const silentPort = await listen(silent);
    try {
      const store = await loadTrustStore({ CAfile: o.ca.cert });
      const started = Date.now();
      const verdict = await checkPeer([o.good.pem], { level: 2, store, ocsp: { url: `http://127.0.0.1:${silentPort}/`, timeoutMs: 300 } });
      assert.is(verdict.ok ? 'ok' : verdict.code, 'ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE');
      assert.ok(Date.now() - started < 3000);
      const failing = http.createServer((request, response) => {
        request.resume();
        response.statusCode = 500;
        response.end('no');
      });
      const failingPort = await listen(failing);
      const status500 = await leafVerdict(o, o.good, { url: `http://127.0.0.1:${failingPort}/` });
      await new Promise<void>((resolve) => failing.close(() => resolve()));
      assert.is(status500, 'ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 30_000),
);

test(
  'OCSPrequire = no lets a peer through when the responder gives no answer, never when it says revoked or its answer fails the checks',
  timed(async () => {
    const o = await ocspFixture();
    const closed = net.createServer();
    const closedPort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = `http://127.0.0.1:${closedPort}/`;
    assert.is(await leafVerdict(o, o.good, { url: down }), 'ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE');
    assert.is(await leafVerdict(o, o.good, { url: down, require: false }), 'ok');
    assert.is(await leafVerdict(o, o.revoked, { url: o.delegatedUrl, require: false }), 'ERR_TUNNEL_VERIFY_OCSP_REVOKED');
    assert.is(await leafVerdict(o, o.good, { url: o.rogueUrl, require: false }), 'ERR_TUNNEL_VERIFY_OCSP_INVALID');
    assert.is(await leafVerdict(o, o.good, { url: o.delegatedUrl, require: false }), 'ok');
  }, 30_000),
);

test(
  'a response is refused once past its nextUpdate (plus 60 s leeway) and before its thisUpdate',
  timed(async () => {
    const o = await ocspFixture();
    const der = readFileSync(o.goodDer);
    const base = {
      der,
      certificate: new (await import('node:crypto')).X509Certificate(o.good.pem),
      issuer: new (await import('node:crypto')).X509Certificate(readFileSync(o.ca.cert)),
      trusted: [],
    };
    assert.is(checkOcspResponse(base).status, 'good');
    for (const now of [new Date(Date.now() + 11 * 60_000 + 61_000), new Date(Date.now() - 5 * 60_000)]) {
      try {
        checkOcspResponse({ ...base, now });
        assert.unreachable('stale response accepted');
      } catch (error) {
        assert.is((error as { code?: string }).code, 'ERR_TUNNEL_VERIFY_OCSP_INVALID');
      }
    }
    // A response about another certificate does not answer for this one.
    try {
      checkOcspResponse({ ...base, certificate: new (await import('node:crypto')).X509Certificate(o.revoked.pem) });
      assert.unreachable('foreign response accepted');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'ERR_TUNNEL_VERIFY_OCSP_INVALID');
    }
    for (const garbage of [Buffer.from('garbage'), Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x03])]) {
      try {
        checkOcspResponse({ ...base, der: garbage });
        assert.unreachable('garbage accepted');
      } catch (error) {
        assert.is((error as { code?: string }).code, 'ERR_TUNNEL_VERIFY_OCSP_INVALID');
      }
    }
  }, 30_000),
);

test(
  'server-mode stapling: openssl s_client -status receives a good response fetched from our AIA responder',
  timed(async () => {
    const o = await ocspFixture();
    const verifier = await createPeerVerifier({ verify: 1, CAfile: o.ca.cert, OCSPaia: true });
    assert.type(verifier.staple, 'function');
    const server = await verifyingServer(verifier, { cert: o.good.cert, key: o.good.key });
    try {
      for (let round = 0; round < 2; round += 1) {
        const { verdict, output } = await sClientVerdict(server, ['-status']);
        assert.is(verdict.ok, true);
        assert.match(output, /OCSP Response Status: successful/);
        assert.match(output, /Cert Status: good/);
      }
    } finally {
      await server.close();
    }
  }, 30_000),
);

test(
  'client mode checks a stapled response: openssl s_server stapling "revoked" is rejected without any responder configured',
  timed(async () => {
    const o = await ocspFixture();
    const verifier = await createPeerVerifier({ verify: 2, CAfile: o.ca.cert });
    for (const [leaf, der, expected] of [
      [o.revoked, o.revokedDer, 'ERR_TUNNEL_VERIFY_OCSP_REVOKED'],
      [o.good, o.goodDer, 'ok'],
      [o.good, o.revokedDer, 'ERR_TUNNEL_VERIFY_OCSP_INVALID'],
    ] as const) {
      const server = await sServer(['-cert', leaf.cert, '-key', leaf.key, '-status_file', der]);
      try {
        const verdict = await clientVerdict(verifier, server.port);
        assert.is(verdict.ok ? 'ok' : verdict.code, expected);
      } finally {
        await server.process.stop();
      }
    }
  }, 30_000),
);

test(
  'queryOcsp works standalone and reports the revocation time',
  timed(async () => {
    const o = await ocspFixture();
    const answer = await queryOcsp({
      certificate: o.revoked.pem,
      issuer: readFileSync(o.ca.cert),
      url: o.delegatedUrl,
      signal: AbortSignal.timeout(5000),
    });
    assert.is(answer.status, 'revoked');
    assert.instance(answer.revokedAt, Date);
    assert.ok(answer.der.length > 0);
  }, 30_000),
);

test(
  'agrees with stunnel4 on OCSP = URL: the good client is accepted, the revoked one rejected',
  timed(async () => {
    const o = await ocspFixture();
    const dir = o.ca.dir;
    for (const [which, accepted] of [
      ['good', true],
      ['revoked', false],
    ] as const) {
      const conf = `${dir}/oracle-${which}.conf`;
      const options = ['foreground = yes', 'pid =', 'debug = 7', '[s]', 'accept = 127.0.0.1:0', 'connect = 127.0.0.1:9'];
      options.push(`cert = ${o.good.cert}`, `key = ${o.good.key}`, 'verify = 2', `CAfile = ${o.ca.cert}`, `OCSP = ${o.delegatedUrl}`);
      writeFileSync(conf, `${options.join('\n')}\n`);
      const stunnel = startProcess('stunnel4', [conf]);
      try {
        const port = (await stunnel.waitFor(/bound to 127\.0\.0\.1:(\d+)/, 5000))[1];
        const client = startProcess('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-cert', o[which].cert, '-key', o[which].key]);
        try {
          const outcome = await stunnel.waitFor(/(TLS|SSL) accepted|Rejected by (CERT|OCSP)|SSL_accept: /, 8000);
          assert.is(/accepted/.test(outcome[0]), accepted, `stunnel4 on ${which}`);
        } finally {
          await client.stop();
        }
      } finally {
        await stunnel.stop();
      }
    }
    assert.equal(await serverVerdicts((fx) => ({ OCSP: fx.delegatedUrl }), ['good', 'revoked']), ['ok', 'ERR_TUNNEL_VERIFY_OCSP_REVOKED']);
  }, 30_000),
);

test.after(async () => {
  await (await ocspFixture()).close();
});

test.run();
