import { join } from 'node:path';
import { makePki, type Pki, type RunningProcess, run, tempDir, timed, which, freePort } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

// The TLS posture of a default server configuration, as a hostile TLS client probes it: which protocol versions are
// offered, renegotiation, TLS compression. docs/tls-posture.md records a full testssl.sh run; this file keeps the key
// facts from regressing.

const dir = tempDir('tunnel-posture-');
let pki: Pki;
let tunnel: RunningProcess;
let port = 0;

/** The protocol an `openssl s_client` forced to one version negotiates, or undefined when the handshake fails. */
async function negotiated(version: string): Promise<string | undefined> {
  // SECLEVEL=0 on the client side: the client would accept TLS 1.0/1.1, so only the tunnel can refuse them.
  // A refused handshake makes s_client exit non-zero; its stdout still says what happened.
  const stdout = await run(
    'openssl',
    ['s_client', '-connect', `127.0.0.1:${port}`, `-${version}`, '-cipher', 'DEFAULT:@SECLEVEL=0', '-servername', 'localhost'],
    { input: '', timeoutMs: 10_000 },
  ).catch((error: { stdout?: string }) => error.stdout ?? '');
  // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" on success ("New, (NONE), Cipher is (NONE)" when refused); the
  // version there is the cipher's, so the session's "Protocol :" line, when printed, names the negotiated one.
  const cipherVersion = /^New, (\S+), Cipher is \S+/m.exec(stdout)?.[1];
  if (cipherVersion === undefined || cipherVersion === '(NONE)') return undefined;
  return /^\s*Protocol\s*:\s*(\S+)/m.exec(stdout)?.[1] ?? cipherVersion;
}

test.before(async () => {
  pki = await makePki({ dir: dir.path, keyType: 'rsa' });
  port = await freePort();
  const conf = writeConfig(join(dir.path, 'default.conf'), [
    'foreground = yes',
    'pid =',
    'syslog = no',
    `output = ${join(dir.path, 'tunnel.log')}`,
    '[default]',
    `accept = 127.0.0.1:${port}`,
    'connect = 127.0.0.1:9',
    `cert = ${pki.cert('server')}`,
    `key = ${pki.key('server')}`,
  ]);
  tunnel = await startTunnel(conf);
});

test.after(async () => {
  await tunnel?.stop();
  dir.remove();
});

test(
  'a default server configuration negotiates TLS 1.2 and 1.3 and refuses TLS 1.0 and 1.1 (openssl s_client)',
  timed(async () => {
    const outcome: Record<string, string | undefined> = {};
    for (const version of ['tls1', 'tls1_1', 'tls1_2', 'tls1_3']) outcome[version] = await negotiated(version);
    console.log(`posture (openssl s_client): ${JSON.stringify(outcome)}`);
    assert.is(outcome.tls1, undefined, 'TLS 1.0 refused');
    assert.is(outcome.tls1_1, undefined, 'TLS 1.1 refused');
    assert.is(outcome.tls1_2, 'TLSv1.2');
    assert.is(outcome.tls1_3, 'TLSv1.3');
  }, 30_000),
);

test(
  'testssl.sh finds no SSLv2/SSLv3/TLS 1.0/TLS 1.1, no client-initiated renegotiation and no TLS compression',
  timed(async () => {
    const testssl = (await which('testssl')) ?? (await which('testssl.sh'));
    if (testssl === undefined) {
      // Debian package testssl.sh (packages/cli/ci/apt.txt); the s_client test above still guards the versions.
      console.log('posture (testssl.sh): not installed, skipped');
      return;
    }
    const started = Date.now();
    // testssl.sh exits non-zero when it has findings of any severity; its report is on stdout either way.
    const out = await run(testssl, ['--quiet', '--color', '0', '--warnings', 'off', '--ip', 'one', '-p', '-R', '-C', `127.0.0.1:${port}`], {
      timeoutMs: 90_000,
    }).catch((error: { stdout?: string }) => error.stdout ?? '');
    const line = (label: RegExp) => out.split('\n').find((text) => label.test(text)) ?? '';
    const facts = {
      SSLv2: line(/^\s*SSLv2\s/),
      SSLv3: line(/^\s*SSLv3\s/),
      'TLS 1': line(/^\s*TLS 1\s/),
      'TLS 1.1': line(/^\s*TLS 1\.1\s/),
      'TLS 1.2': line(/^\s*TLS 1\.2\s/),
      'TLS 1.3': line(/^\s*TLS 1\.3\s/),
      renegotiation: line(/Secure Client-Initiated Renegotiation/),
      compression: line(/CRIME, TLS/),
    };
    console.log(`posture (testssl.sh, ${Date.now() - started} ms):\n${Object.values(facts).join('\n')}`);
    for (const old of ['SSLv2', 'SSLv3', 'TLS 1', 'TLS 1.1'] as const) assert.match(facts[old], /not offered/, `${old}: ${facts[old]}`);
    assert.match(facts['TLS 1.2'], /\boffered/);
    assert.not.match(facts['TLS 1.2'], /not offered/);
    assert.match(facts['TLS 1.3'], /\boffered/);
    assert.not.match(facts['TLS 1.3'], /not offered/);
    assert.match(facts.renegotiation, /not vulnerable/);
    assert.match(facts.compression, /not vulnerable/);
  }, 100_000),
);

test.run();
