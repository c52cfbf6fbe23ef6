import { readFileSync } from 'node:fs';
import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPeer, createPeerVerifier, loadTrustStore, type PeerVerifierOptions } from '../src/index.js';
import { type Fixture, fixture, present } from './fixture.js';
import { clientVerdict, sClientVerdict, sServer, verifyingServer } from './harness.js';

async function serverVerdicts(options: (f: Fixture) => PeerVerifierOptions, peers: ReadonlyArray<'client' | 'revoked'>): Promise<string[]> {
  const f = await fixture();
  const verifier = await createPeerVerifier(options(f));
  const server = await verifyingServer(verifier, { cert: f.server.cert, key: f.server.key });
  try {
    const results: string[] = [];
    for (const peer of peers) {
      const { verdict } = await sClientVerdict(server, present(f, f[peer]));
      results.push(verdict.ok ? 'ok' : verdict.code);
    }
    return results;
  } finally {
    await server.close();
  }
}

test(
  'CRLfile rejects a revoked client and keeps accepting good ones',
  timed(async () => {
    assert.equal(await serverVerdicts((f) => ({ verify: 2, CAfile: f.caFile, CRLfile: f.crlFile }), ['client', 'revoked', 'client']), [
      'ok',
      'ERR_TUNNEL_VERIFY_REVOKED',
      'ok',
    ]);
  }, 20_000),
);

test(
  'CRLpath (an openssl rehash directory of .r0 files) rejects a revoked client',
  timed(async () => {
    assert.equal(await serverVerdicts((f) => ({ verify: 2, CApath: f.caPath, CRLpath: f.crlPath }), ['revoked', 'client']), [
      'ERR_TUNNEL_VERIFY_REVOKED',
      'ok',
    ]);
  }, 20_000),
);

test(
  'an expired CRL fails verification as OpenSSL does ("CRL has expired"), even for a good client',
  timed(async () => {
    assert.equal(await serverVerdicts((f) => ({ verify: 2, CAfile: f.caFile, CRLfile: f.expiredCrlFile }), ['client', 'revoked']), [
      'ERR_TUNNEL_VERIFY_CRL_EXPIRED',
      'ERR_TUNNEL_VERIFY_CRL_EXPIRED',
    ]);
  }, 20_000),
);

test(
  'a chain certificate whose issuer has no CRL fails (CRL check of the whole chain)',
  timed(async () => {
    assert.equal(await serverVerdicts((f) => ({ verify: 2, CAfile: f.caFile, CRLfile: f.rootOnlyCrlFile }), ['client']), [
      'ERR_TUNNEL_VERIFY_CRL_MISSING',
    ]);
  }, 20_000),
);

test(
  'client mode rejects a server whose certificate is revoked by CRL',
  timed(async () => {
    const f = await fixture();
    const verifier = await createPeerVerifier({ verify: 2, CAfile: f.caFile, CRLfile: f.crlFile });
    for (const [leaf, expected] of [
      [f.revoked, 'ERR_TUNNEL_VERIFY_REVOKED'],
      [f.server, 'ok'],
    ] as const) {
      const server = await sServer(present(f, leaf));
      try {
        const verdict = await clientVerdict(verifier, server.port);
        assert.is(verdict.ok ? 'ok' : verdict.code, expected);
      } finally {
        await server.process.stop();
      }
    }
  }, 20_000),
);

test(
  'a CRL not yet valid, and a CRL whose signature does not verify, are both rejected',
  timed(async () => {
    const f = await fixture();
    const store = await loadTrustStore({ CAfile: f.caFile, CRLfile: f.crlFile });
    const peer = [f.client.pem, readFileSync(f.inter.cert, 'utf8')];
    const early = { ...store, crls: store.crls.map((crl) => ({ ...crl, thisUpdate: new Date(Date.now() + 3_600_000) })) };
    const notYet = await checkPeer(peer, { level: 2, store: early });
    assert.is(notYet.ok ? 'ok' : notYet.code, 'ERR_TUNNEL_VERIFY_CRL_NOT_YET_VALID');
    const forged = { ...store, crls: store.crls.map((crl) => ({ ...crl, signature: Buffer.from(crl.signature).fill(1, 8, 16) })) };
    const bad = await checkPeer(peer, { level: 2, store: forged });
    assert.is(bad.ok ? 'ok' : bad.code, 'ERR_TUNNEL_VERIFY_CRL_SIGNATURE');
    const good = await checkPeer(peer, { level: 2, store });
    assert.is(good.ok, true);
  }, 20_000),
);

test.run();
