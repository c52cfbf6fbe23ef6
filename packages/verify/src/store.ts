import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Crl, parseCrl } from './crl.js';
import { VerifyCodes, VerifyConfigError } from './errors.js';
import { splitPem } from './pem.js';

/** Certificates and CRLs a verifier trusts, loaded once from the stunnel store options. */
export interface TrustStore {
  /** Every certificate of CAfile and CApath: trust anchors, intermediates, and the locally installed peers of levels 3/4. */
  readonly certificates: readonly X509Certificate[];
  /** Every CRL of CRLfile and CRLpath. */
  readonly crls: readonly Crl[];
}

/** Where to load a {@link TrustStore} from; the names are stunnel's options. */
export interface TrustStoreOptions {
  /** PEM bundle of certificates (stunnel `CAfile`). */
  readonly CAfile?: string | undefined;
  /** Hashed directory of certificates, `XXXXXXXX.N` as `openssl rehash` names them (stunnel `CApath`). */
  readonly CApath?: string | undefined;
  /** PEM bundle of CRLs (stunnel `CRLfile`). */
  readonly CRLfile?: string | undefined;
  /** Hashed directory of CRLs, `XXXXXXXX.rN` (stunnel `CRLpath`). */
  readonly CRLpath?: string | undefined;
}

const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_DIR_FILES = 10_000;
const CERT_NAME = /^[0-9a-f]{8}\.\d+$/i;
const CRL_NAME = /^[0-9a-f]{8}\.r\d+$/i;

async function readStoreFile(path: string, option: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new VerifyConfigError(VerifyCodes.STORE, `${option} ${path}: cannot read: ${(cause as Error).message}`, { option, path, cause });
  }
}

async function listHashed(dir: string, pattern: RegExp, option: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new VerifyConfigError(VerifyCodes.STORE, `${option} ${dir}: cannot list: ${(cause as Error).message}`, {
      option,
      path: dir,
      cause,
    });
  }
  const picked = names.filter((name) => pattern.test(name)).sort();
  if (picked.length > MAX_DIR_FILES) {
    throw new VerifyConfigError(VerifyCodes.STORE, `${option} ${dir}: more than ${MAX_DIR_FILES} hashed files`, { option, path: dir });
  }
  return picked.map((name) => join(dir, name));
}

function certificatesOf(text: string, path: string, option: string): X509Certificate[] {
  try {
    return splitPem(text)
      .filter((block) => block.label === 'CERTIFICATE' || block.label === 'TRUSTED CERTIFICATE' || block.label === 'X509 CERTIFICATE')
      .map((block) => new X509Certificate(block.der));
  } catch (cause) {
    throw new VerifyConfigError(VerifyCodes.STORE, `${option} ${path}: bad certificate: ${(cause as Error).message}`, {
      option,
      path,
      cause,
    });
  }
}

function crlsOf(text: string, path: string, option: string): Crl[] {
  try {
    return splitPem(text)
      .filter((block) => block.label === 'X509 CRL')
      .map((block) => parseCrl(block.der));
  } catch (cause) {
    throw new VerifyConfigError(VerifyCodes.STORE, `${option} ${path}: bad CRL: ${(cause as Error).message}`, { option, path, cause });
  }
}

/**
 * Loads the CA and CRL stores named by stunnel's `CAfile`, `CApath`, `CRLfile`
 * and `CRLpath`. For the directories, every file named like `openssl rehash`
 * names them (`XXXXXXXX.N` for certificates, `XXXXXXXX.rN` for CRLs) is
 * loaded; the subject hash in the name is not recomputed, because it only
 * serves OpenSSL's lazy lookup and the whole directory is read here anyway.
 * A CAfile/CRLfile holding no certificate/CRL at all is an error, as in stunnel.
 *
 * @throws VerifyConfigError `ERR_TUNNEL_VERIFY_STORE` naming the option and path.
 */
export async function loadTrustStore(options: TrustStoreOptions): Promise<TrustStore> {
  const certificates: X509Certificate[] = [];
  const crls: Crl[] = [];
  if (options.CAfile !== undefined) {
    const found = certificatesOf(await readStoreFile(options.CAfile, 'CAfile'), options.CAfile, 'CAfile');
    if (found.length === 0) {
      throw new VerifyConfigError(VerifyCodes.STORE, `CAfile ${options.CAfile}: no certificate found`, {
        option: 'CAfile',
        path: options.CAfile,
      });
    }
    certificates.push(...found);
  }
  if (options.CApath !== undefined) {
    for (const file of await listHashed(options.CApath, CERT_NAME, 'CApath')) {
      certificates.push(...certificatesOf(await readStoreFile(file, 'CApath'), file, 'CApath'));
    }
  }
  if (options.CRLfile !== undefined) {
    const found = crlsOf(await readStoreFile(options.CRLfile, 'CRLfile'), options.CRLfile, 'CRLfile');
    if (found.length === 0) {
      throw new VerifyConfigError(VerifyCodes.STORE, `CRLfile ${options.CRLfile}: no CRL found`, {
        option: 'CRLfile',
        path: options.CRLfile,
      });
    }
    crls.push(...found);
  }
  if (options.CRLpath !== undefined) {
    for (const file of await listHashed(options.CRLpath, CRL_NAME, 'CRLpath')) {
      crls.push(...crlsOf(await readStoreFile(file, 'CRLpath'), file, 'CRLpath'));
    }
  }
  return { certificates, crls };
}
