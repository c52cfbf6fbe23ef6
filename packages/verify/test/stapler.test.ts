import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { listen, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPeer, createStapler, loadTrustStore, parseOcspFlags } from '../src/index.js';
import { ocspFixture } from './ocsp-fixture.js';

/** A pass-through proxy to the real responder that counts requests and can be switched off (fault injection). */
async function countingProxy(
  target: string,
): Promise<{ url: string; count: () => number; setDown: (down: boolean) => void; close: () => Promise<void> }> {
  let count = 0;
  let down = false;
  const server = http.createServer((request, response) => {
    count += 1;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (down) {
        response.statusCode = 503;
        response.end();
        return;
      }
      const upstream = http.request(target, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' } }, (answer) => {
        response.statusCode = answer.statusCode ?? 502;
        answer.pipe(response);
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    count: () => count,
    setDown: (value) => {
      down = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test(
  'the stapler caches, refreshes halfway to nextUpdate, serves the cache while the responder is down, and stops at nextUpdate',
  timed(async () => {
    const o = await ocspFixture();
    const proxy = await countingProxy(o.delegatedUrl);
    let now = Date.now();
    const staple = createStapler({ url: proxy.url, trusted: [new X509Certificate(readFileSync(o.ca.cert))], now: () => now });
    const cert = new X509Certificate(o.good.pem).raw;
    const issuer = new X509Certificate(readFileSync(o.ca.cert)).raw;
    const signal = AbortSignal.timeout(10_000);
    try {
      const first = await staple(cert, issuer, signal);
      assert.ok(first && first.length > 0);
      assert.is(proxy.count(), 1);
      assert.ok((await staple(cert, issuer, signal))?.equals(first));
      assert.is(proxy.count(), 1, 'second call served from the cache');
      // The responder answers with -nmin 10: past the halfway mark a refresh starts in the background.
      proxy.setDown(true);
      now += 6 * 60_000;
      assert.ok((await staple(cert, issuer, signal))?.equals(first), 'cached answer served while refreshing');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.is(proxy.count(), 2);
      now += 5 * 60_000;
      assert.is(await staple(cert, issuer, signal), undefined, 'nothing stapled past nextUpdate with the responder down');
      proxy.setDown(false);
      now = Date.now();
      assert.ok(await staple(cert, issuer, signal));
    } finally {
      await proxy.close();
    }
  }, 30_000),
);

test(
  'the stapler staples nothing for a certificate without responder',
  timed(async () => {
    const o = await ocspFixture();
    const staple = createStapler({ trusted: [] });
    assert.is(
      await staple(
        new X509Certificate(readFileSync(o.ca.cert)).raw,
        new X509Certificate(readFileSync(o.ca.cert)).raw,
        AbortSignal.timeout(5000),
      ),
      undefined,
    );
  }, 30_000),
);

test(
  'TRUSTOTHER accepts a signer that is installed in the CA store even when it is not authorised',
  timed(async () => {
    const o = await ocspFixture();
    const rogue = readFileSync(`${o.ca.dir}/../rogue/rogue-responder.pem`, 'utf8');
    const store = await loadTrustStore({ CAfile: o.ca.cert });
    const withRogue = { ...store, certificates: [...store.certificates, new X509Certificate(rogue)] };
    const verdict = (flags: string[]) =>
      checkPeer([o.good.pem], { level: 2, store: withRogue, ocsp: { url: o.rogueUrl, flags: parseOcspFlags(flags), timeoutMs: 5000 } });
    const plain = await verdict([]);
    assert.is(plain.ok ? 'ok' : plain.code, 'ERR_TUNNEL_VERIFY_OCSP_INVALID');
    assert.is((await verdict(['TRUSTOTHER'])).ok, true);
  }, 30_000),
);

test(
  'a peer sending more than 16 certificates is refused',
  timed(async () => {
    const o = await ocspFixture();
    const store = await loadTrustStore({ CAfile: o.ca.cert });
    const verdict = await checkPeer(new Array(17).fill(o.good.pem), { level: 2, store });
    assert.is(verdict.ok ? 'ok' : verdict.code, 'ERR_TUNNEL_VERIFY_CHAIN');
  }, 30_000),
);

test.after(async () => {
  await (await ocspFixture()).close();
});

test.run();
