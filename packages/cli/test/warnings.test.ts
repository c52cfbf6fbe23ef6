import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '@tunnel/config-parser';
import { tempDir } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { securityWarnings } from '../src/warnings.js';

const services = (text: string) => parseConfig(text, { file: 't.conf' }).services;

test('a client-mode service without verification is warned about; one with verify = 2 is not', () => {
  const warnings = securityWarnings(services('[open]\nclient = yes\naccept = 1\nconnect = 2\n'));
  assert.is(warnings.length, 1);
  assert.match(warnings[0] ?? '', /Service \[open\]: client mode without certificate verification/);
  assert.equal(
    securityWarnings(services('[safe]\nclient = yes\naccept = 1\nconnect = 2\nverify = 2\nCAfile = /etc/ssl/certs/ca-certificates.crt\n')),
    [],
  );
});

test('a private key readable by other users is warned about; mode 600 is not', () => {
  const dir = tempDir();
  try {
    const key = join(dir.path, 'key.pem');
    writeFileSync(key, 'x');
    chmodSync(key, 0o644);
    const text = `[s]\naccept = 1\nconnect = 2\ncert = ${key}\n`;
    assert.match(securityWarnings(services(text)).join('\n'), /readable by other users \(mode 644\)/);
    chmodSync(key, 0o600);
    assert.equal(securityWarnings(services(text)), []);
  } finally {
    dir.remove();
  }
});

test.run();
