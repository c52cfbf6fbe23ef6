import { TunnelError } from './errors.js';

/** The parts of a PEM file as stunnel reads a `cert =` file: certificates, a private key, DH parameters. */
export interface PemParts {
  readonly certificates: string;
  readonly key: string | undefined;
  readonly dhparam: string | undefined;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const KEY_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'DSA PRIVATE KEY']);

/**
 * Splits a PEM bundle into certificates, key and DH parameters, in the ways
 * stunnel accepts a `cert =` file: the chain alone, key then chain
 * (`cat key cert`), and DH parameters appended (stunnel 5.28 reads them from
 * the certificate file). Unknown block types are refused rather than ignored.
 */
export function splitPem(pem: string | Buffer, service: string, option: string): PemParts {
  const text = typeof pem === 'string' ? pem : pem.toString('latin1');
  const certificates: string[] = [];
  let key: string | undefined;
  let dhparam: string | undefined;
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1] ?? '';
    if (label === 'CERTIFICATE' || label === 'TRUSTED CERTIFICATE') certificates.push(match[0]);
    else if (KEY_LABELS.has(label)) key ??= match[0];
    else if (label === 'DH PARAMETERS') dhparam = match[0];
    else if (label === 'EC PARAMETERS') continue;
    else
      throw new TunnelError('ERR_TUNNEL_BAD_PEM', `Service [${service}]: ${option}: unexpected PEM block "${label}"`, { service, option });
  }
  if (certificates.length === 0 && key === undefined && dhparam === undefined) {
    throw new TunnelError('ERR_TUNNEL_BAD_PEM', `Service [${service}]: ${option}: no PEM block found`, { service, option });
  }
  return { certificates: certificates.join('\n'), key, dhparam };
}
