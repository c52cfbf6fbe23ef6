import { constants } from 'node:crypto';
import { statSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Location, ServiceConfig } from '@tunnel/config-parser';
import { type AlpnRoute, type ConnectTarget, PSK_DEFAULT_CIPHERS, type TlsServiceOptions } from '@tunnel/core';
import { PSK_MAX_FILE_BYTES, parsePskSecrets } from './psk-secrets.js';

/**
 * The TLS options that need more than a copy from the parsed section:
 * `cert =` as PKCS#12, `PSKsecrets`/`PSKidentity`, `config =` (SSL_CONF
 * commands Node can express), `securityLevel` with PSK, and tunnel's `alpn`
 * and `connectALPN`. Problems are reported with the line they come from.
 */

/** Reports one problem; `at` names the exact line when the option's last line is not the one at fault. */
export type TlsIssueReporter = (option: string, code: string, message: string, at?: Location) => void;

/** What `buildServices` spreads over the service it builds. */
export interface TlsExtras {
  /** TLS fields that replace or add to the plain mapping (`ciphers`, `pfx`, `psk`, `alpn`, versions from `config`…). */
  readonly tls: Partial<TlsServiceOptions>;
  /** `connectALPN` grouped by protocol, in the order first written. */
  readonly alpnRoutes: readonly AlpnRoute[] | undefined;
}

type Versions = NonNullable<TlsServiceOptions['sslVersionMin']>;
const VERSIONS: readonly Versions[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * SSL_CONF `Options` names (SSL_CONF_cmd(3)) → OpenSSL option bits as `options =` takes them. `invert` marks names
 * whose positive form *clears* a `NO_*` bit (`SessionTicket` on = `NO_TICKET` off).
 */
const CONF_OPTIONS: Readonly<Record<string, { op: string; invert?: true }>> = {
  sessionticket: { op: 'NO_TICKET', invert: true },
  compression: { op: 'NO_COMPRESSION', invert: true },
  emptyfragments: { op: 'DONT_INSERT_EMPTY_FRAGMENTS', invert: true },
  bugs: { op: 'ALL' },
  dhsingle: { op: 'SINGLE_DH_USE' },
  ecdhsingle: { op: 'SINGLE_ECDH_USE' },
  serverpreference: { op: 'CIPHER_SERVER_PREFERENCE' },
  noresumptiononrenegotiation: { op: 'NO_SESSION_RESUMPTION_ON_RENEGOTIATION' },
  unsafelegacyrenegotiation: { op: 'ALLOW_UNSAFE_LEGACY_RENEGOTIATION' },
  unsafelegacyserverconnect: { op: 'LEGACY_SERVER_CONNECT' },
  encryptthenmac: { op: 'NO_ENCRYPT_THEN_MAC', invert: true },
  allownodhekex: { op: 'ALLOW_NO_DHE_KEX' },
  prioritizechacha: { op: 'PRIORITIZE_CHACHA' },
  middleboxcompat: { op: 'ENABLE_MIDDLEBOX_COMPAT' },
  antireplay: { op: 'NO_ANTI_REPLAY', invert: true },
  extendedmastersecret: { op: 'NO_EXTENDED_MASTER_SECRET', invert: true },
  clientrenegotiation: { op: 'ALLOW_CLIENT_RENEGOTIATION' },
  ktls: { op: 'ENABLE_KTLS' },
};

/** The SSL_CONF commands carried out, by lower-case name (SSL_CONF_cmd(3) compares file commands case-insensitively). */
const MAPPED_COMMANDS = 'MinProtocol, MaxProtocol, CipherString, Ciphersuites, Curves, Groups, SignatureAlgorithms, Options';

/** Builds the extra TLS options of one section; unreadable or refused settings go to `report`. */
export function tlsExtraOptions(
  service: ServiceConfig,
  input: { readonly cert: Buffer | undefined; readFile(path: string): Buffer },
  report: TlsIssueReporter,
): TlsExtras {
  const tls: { -readonly [K in keyof TlsServiceOptions]?: TlsServiceOptions[K] } = {};
  applyPkcs12(service, input.cert, tls, report);
  const psk = readPsk(service, input.readFile, report);
  if (psk !== undefined) {
    tls.psk = psk;
    if (service.PSKidentity !== undefined) {
      if (!service.client) {
        // stunnel: "This option is ignored in server sections." Kept as is; nothing to carry out.
      } else if (!psk.has(service.PSKidentity)) {
        report('PSKidentity', 'ERR_TUNNEL_PSK_IDENTITY', `identity "${service.PSKidentity}" is not in ${service.PSKsecrets}`);
      } else tls.pskIdentity = service.PSKidentity;
    }
  } else if (service.PSKidentity !== undefined && service.PSKsecrets === undefined) {
    report('PSKidentity', 'ERR_TUNNEL_PSK_IDENTITY', 'needs PSKsecrets (the file that holds the key of this identity)');
  }
  const conf = applyConfigCommands(service, tls, report);

  // Ciphers: a config CipherString wins over ciphers =; PSK without either gets stunnel's default (Node's has !PSK);
  // securityLevel (5.68) is OpenSSL's @SECLEVEL=N cipher-string command.
  const base = conf.ciphers ?? service.ciphers ?? (psk === undefined ? undefined : PSK_DEFAULT_CIPHERS);
  const ciphers = service.securityLevel === undefined ? base : `${base ?? 'DEFAULT'}:@SECLEVEL=${service.securityLevel}`;
  if (ciphers !== undefined) tls.ciphers = ciphers;

  if (service.alpn !== undefined) tls.alpn = service.alpn;
  return { tls, alpnRoutes: alpnRoutes(service, report) };
}

/** `cert =` holding PKCS#12 (DER, so no PEM armour): loaded as `pfx`. stunnel 5.68 reads P12 through OSSL_STORE. */
function applyPkcs12(service: ServiceConfig, cert: Buffer | undefined, tls: Partial<TlsServiceOptions>, report: TlsIssueReporter): void {
  if (cert === undefined || !isPkcs12(cert)) return;
  try {
    createSecureContext({ pfx: cert });
  } catch (error) {
    report(
      'cert',
      'ERR_TUNNEL_PKCS12',
      `${service.cert} is not a PKCS#12 file tunnel can open (${(error as Error).message}); only files without a password are read ` +
        '(re-export with openssl pkcs12 -export -passout pass:), or use PEM',
    );
    return;
  }
  Object.assign(tls, { cert: undefined, pfx: cert });
}

/** A DER file (first byte SEQUENCE) without any PEM armour is taken as PKCS#12. */
export function isPkcs12(bytes: Buffer): boolean {
  return bytes[0] === 0x30 && !bytes.includes('-----BEGIN');
}

function readPsk(
  service: ServiceConfig,
  readFile: (path: string) => Buffer,
  report: TlsIssueReporter,
): ReadonlyMap<string, Buffer> | undefined {
  const file = service.PSKsecrets;
  if (file === undefined) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFile(file);
  } catch (error) {
    report('PSKsecrets', 'ERR_TUNNEL_FILE_UNREADABLE', `cannot read ${file}: ${(error as Error).message}`);
    return undefined;
  }
  if (bytes.length > PSK_MAX_FILE_BYTES) {
    report('PSKsecrets', 'ERR_TUNNEL_PSK_SECRETS', `${file} is larger than ${PSK_MAX_FILE_BYTES} bytes`);
    return undefined;
  }
  const parsed = parsePskSecrets(bytes.toString('utf8'));
  if ('problem' in parsed) {
    const { line, message } = parsed.problem;
    // Named at the secrets file's own line: that is the line to fix.
    report('PSKsecrets', 'ERR_TUNNEL_PSK_SECRETS', message, { file, line });
    return undefined;
  }
  return parsed.secrets;
}

/**
 * The warnings stunnel logs as "Insecure file permissions": a PSKsecrets file other users can read or write holds
 * every key of the service in the clear.
 */
export function pskFileWarnings(services: readonly ServiceConfig[]): string[] {
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const service of services) {
    const file = service.PSKsecrets;
    if (file === undefined || seen.has(file)) continue;
    seen.add(file);
    try {
      const mode = statSync(file).mode;
      if ((mode & 0o077) !== 0) {
        warnings.push(
          `INSECURE: PSKsecrets file ${file} is accessible to other users (mode ${(mode & 0o777).toString(8)}): anyone who reads it ` +
            `can impersonate both ends of service [${service.name}]; chmod 600 ${file}`,
        );
      }
    } catch {}
  }
  return warnings;
}

/** `config = COMMAND[:PARAMETER]` lines Node can express, folded into `tls`; the rest refused at their own line. */
function applyConfigCommands(
  service: ServiceConfig,
  tls: { -readonly [K in keyof TlsServiceOptions]?: TlsServiceOptions[K] },
  report: TlsIssueReporter,
): { ciphers: string | undefined } {
  let ciphers: string | undefined;
  const options: string[] = [];
  service.config.forEach((line, index) => {
    const at = service.configLocations[index];
    const colon = line.indexOf(':');
    const command = (colon === -1 ? line : line.slice(0, colon)).trim();
    const value = colon === -1 ? '' : line.slice(colon + 1).trim();
    const refuse = (why: string) => report('config', 'ERR_TUNNEL_CONFIG_COMMAND', `${command}: ${why}`, at);
    if (value === '') {
      refuse('needs a parameter (COMMAND:PARAMETER)');
      return;
    }
    const checked = (settings: SecureContextOptions & { ciphersuites?: string }): boolean => {
      try {
        createSecureContext(settings);
        return true;
      } catch (error) {
        refuse(`OpenSSL refused "${value}" (${(error as Error).message})`);
        return false;
      }
    };
    switch (command.toLowerCase()) {
      case 'minprotocol':
      case 'maxprotocol': {
        const version = VERSIONS.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
        if (version === undefined) refuse(`"${value}" is not one of ${VERSIONS.join(', ')}`);
        else if (command.toLowerCase() === 'minprotocol') tls.sslVersionMin = version;
        else tls.sslVersionMax = version;
        return;
      }
      case 'cipherstring':
        if (checked({ ciphers: value })) ciphers = value;
        return;
      case 'ciphersuites':
        if (checked({ ciphersuites: value })) tls.ciphersuites = value;
        return;
      case 'curves':
      case 'groups':
        if (checked({ ecdhCurve: value })) tls.curve = value;
        return;
      case 'signaturealgorithms':
        if (checked({ sigalgs: value })) tls.sigalgs = value;
        return;
      case 'options':
        for (const raw of value.split(',')) {
          const name = raw.trim();
          const clear = name.startsWith('-');
          const entry = CONF_OPTIONS[(clear ? name.slice(1) : name).toLowerCase()];
          const bit = entry === undefined ? undefined : (constants as Record<string, unknown>)[`SSL_OP_${entry.op}`];
          if (entry === undefined || typeof bit !== 'number') {
            refuse(`option "${name}" is not one this Node build can set`);
            continue;
          }
          options.push(clear !== (entry.invert === true) ? `-${entry.op}` : entry.op);
        }
        return;
      default:
        refuse(`this SSL_CONF command cannot be carried out by Node.js TLS (supported: ${MAPPED_COMMANDS})`);
    }
  });
  if (options.length > 0) tls.options = [...service.options, ...options];
  return { ciphers };
}

/** `connectALPN = PROTOCOL:[HOST:]PORT` lines grouped by protocol; server mode only, and only with `alpn` to negotiate. */
function alpnRoutes(service: ServiceConfig, report: TlsIssueReporter): readonly AlpnRoute[] | undefined {
  if (service.connectALPN.length === 0) return undefined;
  if (service.client) {
    report('connectALPN', 'ERR_TUNNEL_ALPN', 'routes by the ALPN protocol a server negotiated: server mode only');
    return undefined;
  }
  if (service.alpn === undefined) {
    report('connectALPN', 'ERR_TUNNEL_ALPN', 'needs alpn = (the protocols this server negotiates)');
    return undefined;
  }
  const routes = new Map<string, ConnectTarget[]>();
  for (const { protocol, address } of service.connectALPN) {
    if (!service.alpn.includes(protocol)) {
      report('connectALPN', 'ERR_TUNNEL_ALPN', `"${protocol}" is not in alpn = ${service.alpn.join(',')}, so it is never negotiated`);
      continue;
    }
    const target: ConnectTarget =
      address.kind === 'unix' ? { path: address.path } : { host: address.host ?? 'localhost', port: address.port };
    routes.set(protocol, [...(routes.get(protocol) ?? []), target]);
  }
  return [...routes].map(([protocol, connect]) => ({ protocol, connect }));
}
