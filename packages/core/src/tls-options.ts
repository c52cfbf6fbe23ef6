import { constants } from 'node:crypto';
import { type ConnectionOptions, createSecureContext, type SecureContext, type SecureVersion, type TLSSocketOptions } from 'node:tls';
import { TunnelError } from './errors.js';
import { splitPem } from './pem.js';
import type { Mode } from '@tunnel/protocol';
import type { SslVersion, TlsServiceOptions } from './types.js';

/** What a service's TLS side needs at connection time. */
export interface PreparedTls {
  readonly context: SecureContext;
  /** Server mode: ask the peer for a certificate (the verifier's `requestCert`). */
  readonly requestCert: boolean;
  /** Client mode: ask for a stapled OCSP response. */
  readonly requestOCSP: boolean;
  /** The leaf certificate and its issuer (DER), for OCSP stapling. */
  readonly leaf: Buffer | undefined;
  readonly issuer: Buffer | undefined;
  /**
   * Extra per-socket options (PSK callbacks, ALPN…) the handshake spreads into
   * `new TLSSocket(…)` (server mode) or `tls.connect(…)` (client mode), built once
   * here; the handshake's own settings (context, socket, verification) win.
   */
  readonly serverSocketOptions: Readonly<TLSSocketOptions>;
  readonly clientSocketOptions: Readonly<ConnectionOptions>;
}

/** stunnel's default `options =`: SSLv2 and SSLv3 off. */
const DEFAULT_OPTIONS = ['NO_SSLv2', 'NO_SSLv3'];

const SSL_OPTION_PREFIX = 'SSL_OP_';

/**
 * Maps `options =` lines onto `secureOptions`: each name is looked up as
 * `crypto.constants.SSL_OP_<NAME>` (the names OpenSSL's SSL_CTX_set_options(3)
 * uses, which is what stunnel takes); a leading `-` clears the bit.
 */
export function sslOptionsMask(lines: readonly string[], service: string): number {
  let mask = 0;
  const table = new Map(
    Object.entries(constants)
      .filter(([key]) => key.startsWith(SSL_OPTION_PREFIX))
      .map(([key, value]) => [key.slice(SSL_OPTION_PREFIX.length).toUpperCase(), value as number]),
  );
  for (const raw of [...DEFAULT_OPTIONS, ...lines]) {
    const clear = raw.startsWith('-');
    const name = (clear ? raw.slice(1) : raw).trim().toUpperCase();
    const bits = table.get(name);
    if (bits === undefined || name === '') {
      throw new TunnelError(
        'ERR_TUNNEL_UNKNOWN_SSL_OPTION',
        `Service [${service}]: options = ${raw}: not an OpenSSL option known to this Node build`,
        {
          service,
          option: 'options',
        },
      );
    }
    mask = clear ? mask & ~bits : mask | bits;
  }
  return mask >>> 0;
}

/** `sslVersion` (and `sslVersionMin`/`Max`) → Node's `minVersion`/`maxVersion`. SSLv2/SSLv3 are refused: OpenSSL 3 in Node has neither. */
export function versionRange(options: TlsServiceOptions, service: string): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const version: SslVersion = options.sslVersion ?? 'all';
  if (version === 'SSLv2' || version === 'SSLv3') {
    throw new TunnelError(
      'ERR_TUNNEL_SSL_VERSION_REFUSED',
      `Service [${service}]: sslVersion = ${version} is obsolete and unsupported (use TLSv1.2 or later)`,
      {
        service,
        option: 'sslVersion',
      },
    );
  }
  if (version !== 'all') return { minVersion: version, maxVersion: version };
  // stunnel's `all`: every version the library offers. TLS 1.0/1.1 still need `@SECLEVEL=0` in `ciphers` under OpenSSL 3.
  return { minVersion: options.sslVersionMin ?? 'TLSv1', maxVersion: options.sslVersionMax ?? 'TLSv1.3' };
}

/** Builds the secure context of a service (or SNI slave) once, at configuration time, so a broken certificate fails early. */
export function prepareTls(options: TlsServiceOptions, mode: Mode, service: string): PreparedTls {
  const { minVersion, maxVersion } = versionRange(options, service);
  const secureOptions =
    sslOptionsMask(options.options ?? [], service) | (options.renegotiation === false ? constants.SSL_OP_NO_RENEGOTIATION : 0);
  let cert: string | undefined;
  let key: string | Buffer | undefined;
  let dhparam: string | undefined;
  if (options.cert !== undefined) {
    const parts = splitPem(options.cert, service, 'cert');
    cert = parts.certificates === '' ? undefined : parts.certificates;
    key = parts.key;
    dhparam = parts.dhparam;
  }
  if (options.key !== undefined) {
    const keyParts = splitPem(options.key, service, 'key');
    key = keyParts.key;
    dhparam ??= keyParts.dhparam;
  }
  if (mode === 'server' && (cert === undefined || key === undefined)) {
    throw new TunnelError(
      'ERR_TUNNEL_NO_CERT',
      `Service [${service}]: server mode needs a certificate and its private key (cert = / key =)${cert === undefined ? '' : ': no private key found'}`,
      { service, option: cert === undefined ? 'cert' : 'key' },
    );
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new TunnelError(
      'ERR_TUNNEL_NO_CERT',
      `Service [${service}]: a client certificate needs its private key and the other way round`,
      {
        service,
        option: 'key',
      },
    );
  }
  const verifier = options.verifier?.tlsOptions;
  let context: SecureContext;
  try {
    context = createSecureContext({
      ...(cert === undefined ? {} : { cert, key }),
      ...(dhparam === undefined ? {} : { dhparam }),
      ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
      ...(options.ciphersuites === undefined ? {} : { ciphersuites: options.ciphersuites }),
      ...(options.curve === undefined ? {} : { ecdhCurve: options.curve }),
      ...(verifier?.ca === undefined ? {} : { ca: verifier.ca }),
      ...(verifier?.crl === undefined ? {} : { crl: verifier.crl }),
      ...(options.sessionCacheTimeout === undefined ? {} : { sessionTimeout: options.sessionCacheTimeout }),
      minVersion,
      maxVersion,
      secureOptions,
    });
  } catch (error) {
    throw new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service}]: TLS settings refused: ${(error as Error).message}`, {
      service,
      option: tlsOptionAtFault(error),
      cause: error,
    });
  }
  const ders = cert === undefined ? [] : pemCertificatesToDer(cert);
  return {
    context,
    requestCert: mode === 'server' && verifier?.requestCert === true,
    requestOCSP: mode === 'client' && verifier?.requestOCSP === true,
    leaf: ders[0],
    issuer: ders[1],
    serverSocketOptions: {},
    clientSocketOptions: {},
  };
}

function tlsOptionAtFault(error: unknown): string {
  const message = String((error as Error)?.message ?? '').toLowerCase();
  if (message.includes('cipher')) return 'ciphers';
  if (message.includes('curve') || message.includes('ecdh')) return 'curve';
  if (message.includes('dh')) return 'cert';
  if (message.includes('key')) return 'key';
  return 'cert';
}

function pemCertificatesToDer(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) =>
    Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'),
  );
}
