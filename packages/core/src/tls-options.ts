import { constants, createHash } from 'node:crypto';
import {
  type ConnectionOptions,
  DEFAULT_CIPHERS,
  createSecureContext,
  type SecureContext,
  type SecureVersion,
  type TLSSocketOptions,
} from 'node:tls';
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
    sslOptionsMask(options.options ?? [], service) |
    (options.renegotiation === false ? constants.SSL_OP_NO_RENEGOTIATION : 0) |
    // sessionResume = no: no tickets (and the handshake caches no session IDs), so every handshake is full.
    (options.sessionResume === false ? constants.SSL_OP_NO_TICKET : 0);
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
  const psk = checkedPsk(options, mode, service);
  const pfx = options.pfx;
  if (pfx !== undefined && (cert !== undefined || options.key !== undefined)) {
    throw new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service}]: a PKCS#12 cert carries its own key; drop key =`, {
      service,
      option: 'key',
    });
  }
  // PSK authenticates both ends (RFC 4279, RFC 8446 §2.2), so a PSK server needs no certificate (stunnel 5.68 likewise).
  if (mode === 'server' && pfx === undefined && psk === undefined && (cert === undefined || key === undefined)) {
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
      ...(pfx === undefined ? {} : { pfx, ...(options.pfxPassphrase === undefined ? {} : { passphrase: options.pfxPassphrase }) }),
      ...(dhparam === undefined ? {} : { dhparam }),
      ...cipherOption(options.ciphers ?? (psk === undefined ? undefined : PSK_DEFAULT_CIPHERS), options.ciphersuites),
      ...(options.sigalgs === undefined ? {} : { sigalgs: options.sigalgs }),
      ...(options.curve === undefined ? {} : { ecdhCurve: options.curve }),
      ...(verifier?.ca === undefined ? {} : { ca: verifier.ca }),
      ...(verifier?.crl === undefined ? {} : { crl: verifier.crl }),
      ...(options.sessionCacheTimeout === undefined ? {} : { sessionTimeout: options.sessionCacheTimeout }),
      ...(options.ticketKeys === undefined ? {} : { ticketKeys: options.ticketKeys }),
      // OpenSSL refuses to resume without a session ID context once a peer certificate is requested
      // ("session id context uninitialized"); naming it after the service also keeps services from
      // resuming each other's sessions when they share a cache. Server side only: a client has no use for one.
      ...(mode === 'server' ? { sessionIdContext: sessionIdContextOf(service) } : {}),
      // A client-side session ID context breaks TLS 1.3 PSK: OpenSSL's session built from the PSK callback then
      // "reuses a session in a different context". A client has no use for one, so PSK clients go without.
      ...(psk !== undefined && mode === 'client' ? { sessionIdContext: undefined } : {}),
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
    serverSocketOptions: serverExtras(options, psk),
    clientSocketOptions: clientExtras(options, psk),
  };
}

/**
 * stunnel's default `ciphers` (`HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK`), used when PSK is configured and `ciphers` is not:
 * Node's own default list has `!PSK`, which would leave TLS 1.2 PSK peers without a shared cipher.
 */
export const PSK_DEFAULT_CIPHERS = 'HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK';

/**
 * Node has no `ciphersuites` option (it is silently ignored): TLS 1.3 suites go in `ciphers`, where names starting
 * with `TLS_` set the TLS 1.3 list and the rest the TLS ≤ 1.2 list. A list without `TLS_` names keeps the default
 * TLS 1.3 suites, as stunnel's `ciphers` does; `ciphersuites` alone keeps Node's default TLS ≤ 1.2 list.
 */
export function cipherOption(ciphers: string | undefined, ciphersuites: string | undefined): { ciphers?: string } {
  if (ciphersuites === undefined) return ciphers === undefined ? {} : { ciphers };
  const legacy =
    ciphers ??
    DEFAULT_CIPHERS.split(':')
      .filter((name) => !name.startsWith('TLS_'))
      .join(':');
  return { ciphers: `${ciphersuites}:${legacy}` };
}

/** stunnel 5.68: "Keys are required to be at least 16 bytes long". OpenSSL 3 caps a PSK at 512 bytes and an identity at 256. */
const PSK_MIN_KEY = 16;
const PSK_MAX_KEY = 512;
const PSK_MAX_IDENTITY = 256;

function checkedPsk(options: TlsServiceOptions, mode: Mode, service: string): ReadonlyMap<string, Buffer> | undefined {
  const psk = options.psk;
  if (psk === undefined) return undefined;
  const fail = (option: string, why: string) =>
    new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service}]: ${option}: ${why}`, { service, option });
  if (psk.size === 0) throw fail('PSKsecrets', 'no identities');
  for (const [identity, key] of psk) {
    if (Buffer.byteLength(identity) > PSK_MAX_IDENTITY) throw fail('PSKsecrets', `identity longer than ${PSK_MAX_IDENTITY} bytes`);
    if (key.length < PSK_MIN_KEY || key.length > PSK_MAX_KEY) {
      throw fail('PSKsecrets', `the key of identity "${identity}" is ${key.length} bytes; ${PSK_MIN_KEY} to ${PSK_MAX_KEY} are allowed`);
    }
  }
  if (mode === 'client' && options.pskIdentity !== undefined && !psk.has(options.pskIdentity)) {
    throw fail('PSKidentity', `identity "${options.pskIdentity}" is not in PSKsecrets`);
  }
  return psk;
}

/** Server side: the PSK lookup by the identity the client sent (unknown identity: handshake fails), and the ALPN list. */
function serverExtras(options: TlsServiceOptions, psk: ReadonlyMap<string, Buffer> | undefined): TLSSocketOptions {
  return {
    ...(psk === undefined ? {} : { pskCallback: (_socket: unknown, identity: string) => psk.get(identity) ?? null }),
    // RFC 7301 §3.2: a client offering none of these gets a no_application_protocol alert (OpenSSL's behaviour with a list).
    ...(options.alpn === undefined || options.alpn.length === 0 ? {} : { ALPNProtocols: [...options.alpn] }),
  } as TLSSocketOptions;
}

/** Client side: the PSK identity (`PSKidentity`, default the first in the file, as stunnel) and key, and the ALPN list. */
function clientExtras(options: TlsServiceOptions, psk: ReadonlyMap<string, Buffer> | undefined): ConnectionOptions {
  let chosen: { identity: string; psk: Buffer } | undefined;
  if (psk !== undefined) {
    const identity = options.pskIdentity ?? (psk.keys().next().value as string);
    chosen = { identity, psk: psk.get(identity) as Buffer };
  }
  return {
    ...(chosen === undefined ? {} : { pskCallback: () => chosen }),
    ...(options.alpn === undefined || options.alpn.length === 0 ? {} : { ALPNProtocols: [...options.alpn] }),
  };
}

/** OpenSSL's session ID context is at most 32 bytes: a hex digest prefix of the service name. */
export function sessionIdContextOf(service: string): string {
  return createHash('sha256').update(`tunnel:${service}`).digest('hex').slice(0, 32);
}

function tlsOptionAtFault(error: unknown): string {
  const message = String((error as Error)?.message ?? '').toLowerCase();
  if (message.includes('ticketkeys')) return 'ticketKeySecret';
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
