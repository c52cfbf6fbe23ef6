import { readFileSync } from 'node:fs';
import { constants } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Pki, makePki, run, tempDir, timed } from '@tunnel/testkit';
import { type ServiceOptions, createTunnel } from '../src/index.js';
import { sslOptionsMask } from '../src/tls-options.js';
import { splitPem } from '../src/pem.js';
import { sniMatcher } from '../src/service.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});

test.after(() => dir.remove());

const base = (extra: Partial<ServiceOptions>): ServiceOptions => ({
  name: 'svc',
  mode: 'server',
  accept: [{ host: '127.0.0.1', port: 0 }],
  connect: [{ host: '127.0.0.1', port: 1 }],
  cert: readFileSync(pki.combined('server')),
  ...extra,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

const refusals: Array<[string, Partial<ServiceOptions>, string]> = [
  ['sslVersion = SSLv3 is refused', { sslVersion: 'SSLv3' }, 'ERR_TUNNEL_SSL_VERSION_REFUSED'],
  ['sslVersion = SSLv2 is refused', { sslVersion: 'SSLv2' }, 'ERR_TUNNEL_SSL_VERSION_REFUSED'],
  ['an unknown options = name is refused', { options: ['NO_SUCH_THING'] }, 'ERR_TUNNEL_UNKNOWN_SSL_OPTION'],
  ['server mode without a certificate is refused', { cert: undefined }, 'ERR_TUNNEL_NO_CERT'],
  ['a PEM file with a foreign block is refused', { cert: '-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n' }, 'ERR_TUNNEL_BAD_PEM'],
  ['text that holds no PEM block is refused', { cert: 'not pem at all' }, 'ERR_TUNNEL_BAD_PEM'],
  ['an unknown cipher list is refused naming ciphers', { ciphers: 'NOT-A-CIPHER' }, 'ERR_TUNNEL_CONFIG'],
  ['an unknown curve is refused', { curve: 'not-a-curve' }, 'ERR_TUNNEL_CONFIG'],
  ['a negative timeout is refused', { timeouts: { idle: -1 } }, 'ERR_TUNNEL_CONFIG'],
  [
    'SNI slaves on a client-mode master are refused',
    { mode: 'client', sniServices: [{ pattern: 'a', service: { name: 's', connect: [] } }] },
    'ERR_TUNNEL_CONFIG',
  ],
  ['redirect in client mode is refused', { mode: 'client', redirect: [{ host: '127.0.0.1', port: 2 }] }, 'ERR_TUNNEL_CONFIG'],
  ['no connect target and no protocol is refused', { connect: [] }, 'ERR_TUNNEL_CONFIG'],
];

for (const [name, extra, code] of refusals) {
  test(name, () => {
    assert.is(
      codeOf(() => createTunnel({ services: [base(extra)] })),
      code,
    );
  });
}

test('a certificate without its private key is refused, naming key', () => {
  try {
    createTunnel({ services: [base({ cert: readFileSync(pki.cert('server')) })] });
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TUNNEL_NO_CERT');
    assert.is((error as { option: string }).option, 'key');
  }
});

test('a certificate PEM without its key (key given separately) is accepted', () => {
  assert.is(
    codeOf(() => createTunnel({ services: [base({ cert: readFileSync(pki.cert('server')), key: readFileSync(pki.key('server')) })] })),
    undefined,
  );
});

test('an unknown cipher error names the option', () => {
  try {
    createTunnel({ services: [base({ ciphers: 'NOT-A-CIPHER' })] });
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TUNNEL_CONFIG');
    assert.is((error as { option: string }).option, 'ciphers');
  }
});

test('two services with one name are refused', () => {
  assert.is(
    codeOf(() => createTunnel({ services: [base({}), base({})] })),
    'ERR_TUNNEL_DUPLICATE_SERVICE',
  );
});

test('options default to NO_SSLv2 and NO_SSLv3, accept any case, and a leading dash clears a bit', () => {
  const defaults = sslOptionsMask([], 's');
  assert.is(defaults & constants.SSL_OP_NO_SSLv3, constants.SSL_OP_NO_SSLv3);
  const withTicket = sslOptionsMask(['no_ticket', 'CIPHER_SERVER_PREFERENCE'], 's');
  assert.is(withTicket & constants.SSL_OP_NO_TICKET, constants.SSL_OP_NO_TICKET);
  assert.is(withTicket & constants.SSL_OP_CIPHER_SERVER_PREFERENCE, constants.SSL_OP_CIPHER_SERVER_PREFERENCE);
  assert.is(sslOptionsMask(['NO_TICKET', '-NO_TICKET'], 's') & constants.SSL_OP_NO_TICKET, 0);
  assert.is(sslOptionsMask(['-NO_SSLv3'], 's') & constants.SSL_OP_NO_SSLv3, 0);
});

test('a combined PEM (key, certificate, DH parameters) splits into its parts', () => {
  const key = pki.read('server.key');
  const cert = pki.read('server.pem');
  const dh = '-----BEGIN DH PARAMETERS-----\nMIIBCAKCAQEA\n-----END DH PARAMETERS-----\n';
  const parts = splitPem(`${key}\n${cert}\n${dh}`, 's', 'cert');
  assert.ok(parts.key?.includes('PRIVATE KEY'));
  assert.ok(parts.certificates.includes('BEGIN CERTIFICATE'));
  assert.ok(parts.dhparam?.includes('DH PARAMETERS'));
});

test(
  'DH parameters appended to the certificate file are used (a DHE-only TLS 1.2 cipher list works)',
  timed(async () => {
    const rsa = tempDir();
    try {
      const rsaPki = await makePki({ dir: rsa.path, keyType: 'rsa' });
      const dh = await run('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', 'group:ffdhe2048']);
      assert.match(dh, /BEGIN DH PARAMETERS/);
      const pem = `${rsaPki.read('server-combined.pem')}\n${dh}`;
      const parts = splitPem(pem, 's', 'cert');
      assert.ok(parts.dhparam);
      const { startTunnel, tlsClient } = await import('./helpers.js');
      const { tunnel, port } = await startTunnel([
        base({
          cert: pem,
          sslVersion: 'TLSv1.2',
          ciphers: 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0',
          connect: [{ host: '127.0.0.1', port: 1 }],
        }),
      ]);
      try {
        const client = await tlsClient({
          host: '127.0.0.1',
          port: port(),
          maxVersion: 'TLSv1.2',
          ciphers: 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0',
        });
        assert.is(client.getCipher().name, 'DHE-RSA-AES128-GCM-SHA256');
        client.destroy();
      } finally {
        await tunnel.close({ graceful: false });
      }
    } finally {
      rsa.remove();
    }
  }, 20_000),
);

test('SNI patterns match exact names and a leading * for any prefix, case-insensitively', () => {
  const wild = sniMatcher('*.Example.com');
  assert.ok(wild('a.example.com'));
  assert.ok(wild('a.b.EXAMPLE.com'));
  assert.not.ok(wild('example.com'));
  assert.not.ok(wild('a.example.org'));
  const exact = sniMatcher('host.example.com');
  assert.ok(exact('HOST.example.com'));
  assert.not.ok(exact('x.host.example.com'));
});

test.run();
