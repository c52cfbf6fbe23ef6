import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPeer, loadTrustStore } from '../src/index.js';
import { fixture } from './fixture.js';

test(
  'a certificate issued by a non-CA certificate is rejected even though the signature verifies',
  timed(async () => {
    const f = await fixture();
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    // "notca": cA=FALSE and no keyUsage, so OpenSSL's issuer match accepts it and only the cA flag can refuse it.
    writeFileSync(join(f.dir, 'plain.ext'), 'basicConstraints = CA:FALSE\n');
    const issue = async (name: string, caCert: string, caKey: string, serial: string) => {
      await run('openssl', [
        'req',
        '-new',
        ...ec,
        '-subj',
        `/CN=${name}`,
        '-keyout',
        join(f.dir, `${name}.key`),
        '-out',
        join(f.dir, `${name}.csr`),
      ]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        join(f.dir, `${name}.csr`),
        '-CA',
        caCert,
        '-CAkey',
        caKey,
        '-set_serial',
        serial,
        '-days',
        '5',
        '-extfile',
        join(f.dir, 'plain.ext'),
        '-out',
        join(f.dir, `${name}.pem`),
      ]);
      return join(f.dir, `${name}.pem`);
    };
    const notCa = await issue('notca', f.inter.cert, f.inter.key, '76');
    const cert = await issue('sub', notCa, join(f.dir, 'notca.key'), '77');
    const store = await loadTrustStore({ CAfile: f.caFile });
    const verdict = await checkPeer([readFileSync(cert), readFileSync(notCa), readFileSync(f.inter.cert)], { level: 2, store });
    assert.is(verdict.ok ? 'ok' : verdict.code, 'ERR_TUNNEL_VERIFY_CHAIN');
    assert.match(verdict.ok ? '' : verdict.reason, /invalid CA certificate at depth 1/);
  }, 20_000),
);

test(
  'a chain ending in a root that is not installed names the self-signed certificate in the chain',
  timed(async () => {
    const f = await fixture();
    const store = await loadTrustStore({ CAfile: f.other.cert });
    const verdict = await checkPeer([f.client.pem, readFileSync(f.inter.cert), readFileSync(f.root.cert)], { level: 2, store });
    assert.is(verdict.ok ? 'ok' : verdict.code, 'ERR_TUNNEL_VERIFY_CHAIN');
    assert.match(verdict.ok ? '' : verdict.reason, /self-signed certificate in certificate chain/);
  }, 20_000),
);

test(
  'the intermediate may come from the store instead of the peer, and without it the chain fails',
  timed(async () => {
    const f = await fixture();
    const bundle = join(f.dir, 'root-inter.pem');
    writeFileSync(bundle, readFileSync(f.root.cert, 'utf8') + readFileSync(f.inter.cert, 'utf8'));
    const withInter = await loadTrustStore({ CAfile: bundle });
    assert.is((await checkPeer([f.client.pem], { level: 2, store: withInter })).ok, true);
    const rootOnly = await loadTrustStore({ CAfile: f.caFile });
    const verdict = await checkPeer([f.client.pem], { level: 2, store: rootOnly });
    assert.is(verdict.ok ? 'ok' : verdict.code, 'ERR_TUNNEL_VERIFY_CHAIN');
    assert.match(verdict.ok ? '' : verdict.reason, /unable to get local issuer certificate/);
  }, 20_000),
);

test(
  'level 1 accepts an absent certificate and default/level 0 accept anything',
  timed(async () => {
    const f = await fixture();
    const store = await loadTrustStore({ CAfile: f.caFile });
    assert.equal(await checkPeer([], { level: 1, store }), { ok: true });
    assert.equal(await checkPeer([f.stranger.pem], { level: 0, store }), { ok: true, subject: 'CN=client' });
    assert.equal(await checkPeer([f.stranger.pem], { level: undefined, store }), { ok: true, subject: 'CN=client' });
  }, 20_000),
);

test.run();
