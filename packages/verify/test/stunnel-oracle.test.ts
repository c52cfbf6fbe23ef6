import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startProcess, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPeerVerifier, type PeerVerifierOptions } from '../src/index.js';
import { type Fixture, fixture, present } from './fixture.js';
import { sClientVerdict, verifyingServer } from './harness.js';

/**
 * Debian's stunnel4 is the behavioural oracle: the same options and the same
 * openssl s_client peer must be accepted or rejected by stunnel and by us.
 */
async function stunnelAccepts(f: Fixture, name: string, options: readonly string[], peer: readonly string[]): Promise<boolean> {
  const conf = join(f.dir, `oracle-${name}.conf`);
  const lines = ['foreground = yes', 'pid =', 'debug = 7', '[s]', 'accept = 127.0.0.1:0', 'connect = 127.0.0.1:9'];
  lines.push(`cert = ${f.server.cert}`, `key = ${f.server.key}`, ...options);
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const stunnel = startProcess('stunnel4', [conf]);
  try {
    const match = await stunnel.waitFor(/bound to 127\.0\.0\.1:(\d+)/, 5000);
    const client = startProcess('openssl', ['s_client', '-connect', `127.0.0.1:${match[1]}`, ...peer]);
    try {
      const verdict = await stunnel.waitFor(/(TLS|SSL) accepted|Rejected by CERT|peer did not return a certificate|SSL_accept: /, 5000);
      return /accepted/.test(verdict[0]);
    } finally {
      await client.stop();
    }
  } finally {
    await stunnel.stop();
  }
}

async function weAccept(f: Fixture, options: PeerVerifierOptions, peer: readonly string[]): Promise<boolean> {
  const verifier = await createPeerVerifier(options);
  const server = await verifyingServer(verifier, { cert: f.server.cert, key: f.server.key });
  try {
    return (await sClientVerdict(server, peer)).verdict.ok;
  } finally {
    await server.close();
  }
}

type Case = [
  name: string,
  stunnel: (f: Fixture) => string[],
  ours: (f: Fixture) => PeerVerifierOptions,
  peer: (f: Fixture) => string[],
  accepted: boolean,
];

const cases: Case[] = [
  [
    'level 1 without a client certificate',
    (f) => ['verify = 1', `CAfile = ${f.caFile}`],
    (f) => ({ verify: 1, CAfile: f.caFile }),
    () => [],
    true,
  ],
  [
    'level 2 without a client certificate',
    (f) => ['verify = 2', `CAfile = ${f.caFile}`],
    (f) => ({ verify: 2, CAfile: f.caFile }),
    () => [],
    false,
  ],
  [
    'level 2 with a good CRL',
    (f) => ['verify = 2', `CAfile = ${f.caFile}`, `CRLfile = ${f.crlFile}`],
    (f) => ({ verify: 2, CAfile: f.caFile, CRLfile: f.crlFile }),
    (f) => present(f, f.client),
    true,
  ],
  [
    'level 2 with a revoked client',
    (f) => ['verify = 2', `CAfile = ${f.caFile}`, `CRLfile = ${f.crlFile}`],
    (f) => ({ verify: 2, CAfile: f.caFile, CRLfile: f.crlFile }),
    (f) => present(f, f.revoked),
    false,
  ],
  [
    'level 2 with an expired CRL',
    (f) => ['verify = 2', `CAfile = ${f.caFile}`, `CRLfile = ${f.expiredCrlFile}`],
    (f) => ({ verify: 2, CAfile: f.caFile, CRLfile: f.expiredCrlFile }),
    (f) => present(f, f.client),
    false,
  ],
  [
    'level 2 with no CRL for the intermediate',
    (f) => ['verify = 2', `CAfile = ${f.caFile}`, `CRLfile = ${f.rootOnlyCrlFile}`],
    (f) => ({ verify: 2, CAfile: f.caFile, CRLfile: f.rootOnlyCrlFile }),
    (f) => present(f, f.client),
    false,
  ],
  [
    'level 2 with checkHost not matching',
    (f) => ['verify = 2', `CAfile = ${f.caFile}`, 'checkHost = other.example', 'checkHost = client.example'],
    (f) => ({ verify: 2, CAfile: f.caFile, checkHost: ['other.example', 'client.example'] }),
    (f) => present(f, f.server),
    false,
  ],
  [
    'level 3 with the client installed but not its root',
    (f) => ['verify = 3', `CAfile = ${f.client.cert}`],
    (f) => ({ verify: 3, CAfile: f.client.cert }),
    (f) => present(f, f.client),
    false,
  ],
  [
    'level 3 with the client and its root installed',
    (f) => ['verify = 3', `CAfile = ${f.localFile}`],
    (f) => ({ verify: 3, CAfile: f.localFile }),
    (f) => present(f, f.client),
    true,
  ],
  [
    'level 4 with only the client installed',
    (f) => ['verify = 4', `CAfile = ${f.client.cert}`],
    (f) => ({ verify: 4, CAfile: f.client.cert }),
    (f) => ['-cert', f.client.cert, '-key', f.client.key],
    true,
  ],
  [
    'level 4 with an installed but expired certificate',
    (f) => ['verify = 4', `CAfile = ${f.expired.cert}`],
    (f) => ({ verify: 4, CAfile: f.expired.cert }),
    (f) => present(f, f.expired),
    false,
  ],
  [
    'level 4 with a renewal of the client certificate (same subject and key) installed',
    (f) => ['verify = 4', `CAfile = ${join(f.dir, 'renewed.pem')}`],
    (f) => ({ verify: 4, CAfile: join(f.dir, 'renewed.pem') }),
    (f) => ['-cert', f.client.cert, '-key', f.client.key],
    true,
  ],
];

/** Re-signs the client's request: a new certificate (new serial) with the same subject and key. */
async function renew(f: Fixture): Promise<void> {
  const inter = f.inter.dir;
  await run('openssl', [
    'ca',
    '-batch',
    '-notext',
    '-config',
    join(inter, 'ca.cnf'),
    '-in',
    join(inter, 'client.csr'),
    '-out',
    join(f.dir, 'renewed.pem'),
    '-extfile',
    join(inter, 'client.ext'),
  ]);
}

test.before(async () => {
  await renew(await fixture());
});

cases.forEach(([name, stunnelOptions, ourOptions, peer, accepted], index) => {
  test(
    `agrees with stunnel4: ${name} is ${accepted ? 'accepted' : 'rejected'}`,
    timed(async () => {
      const f = await fixture();
      assert.is(await stunnelAccepts(f, String(index), stunnelOptions(f), peer(f)), accepted, 'stunnel4');
      assert.is(await weAccept(f, ourOptions(f), peer(f)), accepted, '@tunnel/verify');
    }, 20_000),
  );
});

test.run();
