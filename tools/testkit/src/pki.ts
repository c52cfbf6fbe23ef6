import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './process.js';

export interface PkiOptions {
  /** Directory to write into. */
  readonly dir: string;
  /** `ec` (P-256, fast; default) or `rsa` (2048). */
  readonly keyType?: 'ec' | 'rsa';
  /** Extra leaf certificates to issue from the CA, by name, each with its subjectAltName (e.g. `DNS:a.example,IP:127.0.0.2`). */
  readonly leaves?: Readonly<Record<string, { cn: string; san?: string; days?: number }>>;
}

export interface Pki {
  readonly dir: string;
  /** Path of the CA certificate. */
  readonly ca: string;
  /** Path of a leaf's certificate, `name.pem`; the key is `name.key`; `name-combined.pem` holds key then certificate. */
  cert(name: string): string;
  key(name: string): string;
  combined(name: string): string;
  /** PEM text of a file in the PKI directory. */
  read(file: string): string;
}

/**
 * Generates a throw-away PKI with the real `openssl` command: a root CA and
 * leaves `server` (CN=localhost, SAN localhost, 127.0.0.1, ::1) and `client`
 * (CN=client), plus any extra leaves asked for.
 */
export async function makePki(options: PkiOptions): Promise<Pki> {
  const { dir } = options;
  const keyArgs = options.keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  const path = (file: string) => join(dir, file);
  await run('openssl', [
    'req',
    '-x509',
    ...keyArgs,
    '-nodes',
    '-days',
    '30',
    '-subj',
    '/CN=Tunnel Test CA',
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const leaves: Record<string, { cn: string; san?: string; days?: number }> = {
    server: { cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1,IP:::1' },
    client: { cn: 'client', san: 'DNS:client,email:client@example.com' },
    ...options.leaves,
  };
  let serial = 1;
  for (const [name, leaf] of Object.entries(leaves)) {
    serial += 1;
    await run('openssl', [
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-subj',
      `/CN=${leaf.cn}`,
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
    ]);
    const ext = [`basicConstraints=CA:FALSE`, 'keyUsage=digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth,clientAuth'];
    if (leaf.san) ext.push(`subjectAltName=${leaf.san}`);
    writeFileSync(path(`${name}.ext`), `${ext.join('\n')}\n`);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      path(`${name}.csr`),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-set_serial',
      String(serial),
      '-days',
      String(leaf.days ?? 30),
      '-extfile',
      path(`${name}.ext`),
      '-out',
      path(`${name}.pem`),
    ]);
    writeFileSync(
      path(`${name}-combined.pem`),
      `${readFileSync(path(`${name}.key`), 'utf8')}\n${readFileSync(path(`${name}.pem`), 'utf8')}\n`,
    );
  }
  return {
    dir,
    ca: path('ca.pem'),
    cert: (name) => path(`${name}.pem`),
    key: (name) => path(`${name}.key`),
    combined: (name) => path(`${name}-combined.pem`),
    read: (file) => readFileSync(path(file), 'utf8'),
  };
}
