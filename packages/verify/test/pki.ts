import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@tunnel/testkit';

/**
 * A richer throw-away PKI than testkit's, made with `openssl ca` so each CA
 * keeps an index.txt (for CRLs and for `openssl ocsp`): root -> intermediate
 * -> leaves, an unrelated CA, a self-signed standalone peer, and an OCSP CA
 * whose leaves point their AIA at a responder URL given later.
 */
export interface LeafSpec {
  readonly cn: string;
  readonly san?: string;
  /** openssl ca dates, YYYYMMDDHHMMSSZ. */
  readonly start?: string;
  readonly end?: string;
  readonly extra?: readonly string[];
}

export interface Ca {
  readonly name: string;
  readonly dir: string;
  readonly cert: string;
  readonly key: string;
  readonly index: string;
  issue(name: string, leaf: LeafSpec): Promise<Leaf>;
  revoke(certPath: string): Promise<void>;
  /** Writes a CRL (PEM) valid for `seconds` and returns its path. */
  crl(file: string, seconds?: number): Promise<string>;
}

export interface Leaf {
  readonly cert: string;
  readonly key: string;
  readonly pem: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

function config(dir: string): string {
  return [
    '[ ca ]',
    'default_ca = CA_default',
    '[ CA_default ]',
    `dir = ${dir}`,
    'database = $dir/index.txt',
    'new_certs_dir = $dir/newcerts',
    'serial = $dir/serial',
    'crlnumber = $dir/crlnumber',
    'certificate = $dir/ca.pem',
    'private_key = $dir/ca.key',
    'default_md = sha256',
    'default_days = 30',
    'default_crl_days = 30',
    'policy = policy_any',
    'unique_subject = no',
    'copy_extensions = none',
    '[ policy_any ]',
    'commonName = supplied',
    '',
  ].join('\n');
}

async function newKeyAndCsr(dir: string, name: string, cn: string): Promise<{ key: string; csr: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  await run('openssl', ['req', '-new', ...EC, '-nodes', '-subj', `/CN=${cn}`, '-keyout', key, '-out', csr]);
  return { key, csr };
}

function makeCa(name: string, dir: string, serialStart: number): Ca {
  const cnf = join(dir, 'ca.cnf');
  const ca: Ca = {
    name,
    dir,
    cert: join(dir, 'ca.pem'),
    key: join(dir, 'ca.key'),
    index: join(dir, 'index.txt'),
    async issue(leafName, leaf) {
      const { key, csr } = await newKeyAndCsr(dir, leafName, leaf.cn);
      const ext = ['basicConstraints = CA:FALSE', 'keyUsage = digitalSignature, keyEncipherment', ...(leaf.extra ?? [])];
      if (!(leaf.extra ?? []).some((line) => line.startsWith('extendedKeyUsage'))) ext.push('extendedKeyUsage = serverAuth, clientAuth');
      if (leaf.san !== undefined) ext.push(`subjectAltName = ${leaf.san}`);
      const extFile = join(dir, `${leafName}.ext`);
      writeFileSync(extFile, `${ext.join('\n')}\n`);
      const cert = join(dir, `${leafName}.pem`);
      const dates = [...(leaf.start ? ['-startdate', leaf.start] : []), ...(leaf.end ? ['-enddate', leaf.end] : [])];
      await run('openssl', ['ca', '-batch', '-notext', '-config', cnf, '-in', csr, '-out', cert, '-extfile', extFile, ...dates]);
      return { cert, key, pem: readFileSync(cert, 'utf8') };
    },
    async revoke(certPath) {
      await run('openssl', ['ca', '-batch', '-config', cnf, '-revoke', certPath]);
    },
    async crl(file, seconds) {
      const out = join(dir, file);
      const life = seconds === undefined ? [] : ['-crlsec', String(seconds)];
      await run('openssl', ['ca', '-batch', '-config', cnf, '-gencrl', '-out', out, ...life]);
      return out;
    },
  };
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
  writeFileSync(join(dir, 'serial'), `${serialStart.toString(16).padStart(4, '0')}\n`);
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(cnf, config(dir));
  return ca;
}

const CA_EXT = [
  'basicConstraints = critical, CA:TRUE',
  'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
  'subjectKeyIdentifier = hash',
];

/** A self-signed root CA in `dir`. */
export async function rootCa(name: string, dir: string, serialStart: number): Promise<Ca> {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(name, dir, serialStart);
  const args = ['req', '-x509', ...EC, '-nodes', '-days', '30', '-subj', `/CN=${name}`, '-keyout', ca.key, '-out', ca.cert];
  for (const line of CA_EXT) args.push('-addext', line.replace(' = ', '='));
  await run('openssl', args);
  return ca;
}

/** An intermediate CA in `dir`, issued by `parent` (and recorded in the parent's index, so it can be revoked). */
export async function intermediateCa(name: string, dir: string, parent: Ca, serialStart: number): Promise<Ca> {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(name, dir, serialStart);
  const { csr } = await newKeyAndCsr(dir, 'ca', name);
  const extFile = join(dir, 'ca.ext');
  writeFileSync(extFile, `${CA_EXT.join('\n')}\n`);
  await run('openssl', [
    'ca',
    '-batch',
    '-notext',
    '-config',
    join(parent.dir, 'ca.cnf'),
    '-in',
    csr,
    '-out',
    ca.cert,
    '-extfile',
    extFile,
  ]);
  return ca;
}

/** A self-signed end-entity certificate (no CA), the usual "locally installed peer" of levels 3/4. */
export async function selfSigned(dir: string, name: string, cn: string, san: string): Promise<Leaf> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-nodes',
    '-days',
    '30',
    '-subj',
    `/CN=${cn}`,
    '-keyout',
    key,
    '-out',
    cert,
    '-addext',
    `subjectAltName=${san}`,
  ]);
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

/** openssl ca date `days` from now (negative for the past). */
export function caDate(days: number): string {
  const date = new Date(Date.now() + days * 86_400_000);
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** Concatenates PEM files into `out`. */
export function bundle(out: string, files: readonly string[]): string {
  writeFileSync(out, files.map((file) => readFileSync(file, 'utf8')).join(''));
  return out;
}
