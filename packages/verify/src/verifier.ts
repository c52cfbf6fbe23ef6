import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { parseIdentityAcl } from './acl.js';
import { checkPeer, type PeerVerdict, type VerifyLevel } from './check-peer.js';
import { VerifyCodes, VerifyConfigError } from './errors.js';
import { parseOcspFlags } from './ocsp-flags.js';
import { DEFAULT_OCSP_TIMEOUT_MS } from './ocsp-query.js';
import { toPem } from './pem.js';
import { createStapler } from './stapler.js';
import { loadTrustStore } from './store.js';

/** Options of {@link createPeerVerifier}: stunnel's service options, already typed by the config parser. */
export interface PeerVerifierOptions {
  /** stunnel `verify`; undefined = no verification (stunnel's default). */
  readonly verify?: VerifyLevel | undefined;
  readonly CAfile?: string | undefined;
  readonly CApath?: string | undefined;
  readonly CRLfile?: string | undefined;
  readonly CRLpath?: string | undefined;
  readonly checkHost?: readonly string[] | undefined;
  readonly checkEmail?: readonly string[] | undefined;
  readonly checkIP?: readonly string[] | undefined;
  /** stunnel `OCSP`: responder URL, `http:` only. */
  readonly OCSP?: string | undefined;
  readonly OCSPaia?: boolean | undefined;
  readonly OCSPflag?: readonly string[] | undefined;
  readonly OCSPnonce?: boolean | undefined;
  /** Seconds allowed for one OCSP exchange (default 10). */
  readonly TIMEOUTocsp?: number | undefined;
  /** stunnel `OCSPrequire` (default true): false accepts a peer whose OCSP answer is inconclusive (no answer, "unknown"). */
  readonly OCSPrequire?: boolean | undefined;
  /** Tunnel extension: identity rules `KIND:VALUE` that admit a peer (any given → one must match). Needs verify 2–4. */
  readonly allowPeer?: readonly string[] | undefined;
  /** Tunnel extension: identity rules `KIND:VALUE` that refuse a peer (wins over allowPeer). Needs verify 2–4. */
  readonly denyPeer?: readonly string[] | undefined;
}

/** The seam core plugs in (core declares the same shape; this package does not import core). */
export interface PeerVerifier {
  /** Merged into the TLS options of the service (server: requestCert asks for a client certificate). */
  readonly tlsOptions: { ca?: Array<string | Buffer>; crl?: Array<string | Buffer>; requestCert?: boolean; requestOCSP?: boolean };
  /** Called once the handshake is done; core always uses rejectUnauthorized: false, the verifier decides. */
  check(
    socket: TLSSocket,
    context: { mode: 'client' | 'server'; servername?: string; ocspResponse?: Buffer; signal: AbortSignal },
  ): Promise<PeerVerdict>;
  /** Server-mode OCSP stapling: the DER OCSP response to staple for our certificate, or undefined. */
  staple?(certificate: Buffer, issuer: Buffer, signal: AbortSignal): Promise<Buffer | undefined>;
}

/** Peer certificates as Node saw them, peer first: getPeerCertificate(true) links each to its issuer. */
export function peerChain(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  let current = socket.getPeerCertificate(true) as { raw?: Buffer; issuerCertificate?: unknown } | null;
  while (current?.raw !== undefined && chain.length < 16) {
    const raw = current.raw;
    if (chain.some((seen) => seen.equals(raw))) break;
    chain.push(raw);
    current = current.issuerCertificate as typeof current;
  }
  return chain;
}

function refuse(option: string, message: string): never {
  throw new VerifyConfigError(VerifyCodes.OPTION, `${option}: ${message}`, { option });
}

function validate(options: PeerVerifierOptions): void {
  const level = options.verify;
  if (level !== undefined && ![0, 1, 2, 3, 4].includes(level)) refuse('verify', `level ${String(level)} is not 0, 1, 2, 3 or 4`);
  const checking = level !== undefined && level >= 1;
  const chainChecking = level !== undefined && level >= 1 && level <= 3;
  for (const option of ['checkHost', 'checkEmail', 'checkIP'] as const) {
    if ((options[option]?.length ?? 0) > 0 && !checking) refuse(option, 'has no effect without verify = 1..4');
  }
  const chainOnly: Array<[string, boolean]> = [
    ['CRLfile', options.CRLfile !== undefined],
    ['CRLpath', options.CRLpath !== undefined],
    ['OCSP', options.OCSP !== undefined],
    ['OCSPaia', options.OCSPaia === true],
    ['OCSPflag', (options.OCSPflag?.length ?? 0) > 0],
    ['OCSPnonce', options.OCSPnonce === true],
    ['OCSPrequire', options.OCSPrequire === false],
    ['TIMEOUTocsp', options.TIMEOUTocsp !== undefined],
  ];
  for (const [option, given] of chainOnly) {
    if (given && !chainChecking) refuse(option, 'has no effect unless verify = 1, 2 or 3 (level 4 ignores the chain)');
  }
  if (checking && options.CAfile === undefined && options.CApath === undefined) {
    refuse('verify', `level ${level} needs CAfile or CApath`);
  }
  if (options.OCSP !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(options.OCSP);
    } catch {
      refuse('OCSP', `${options.OCSP} is not a URL`);
    }
    if (url.protocol !== 'http:') refuse('OCSP', `${options.OCSP}: only http: responders are supported, as in stunnel`);
  }
  for (const option of ['allowPeer', 'denyPeer'] as const) {
    // An ACL decides on a certificate the peer must send and that was verified: level 1 admits peers without one,
    // level 0 verifies nothing.
    if ((options[option]?.length ?? 0) > 0 && (level === undefined || level < 2)) {
      refuse(option, 'needs verify = 2, 3 or 4 and a CAfile or CApath (a verified client certificate to decide on)');
    }
  }
  if (options.TIMEOUTocsp !== undefined && !(options.TIMEOUTocsp > 0)) refuse('TIMEOUTocsp', 'must be a positive number of seconds');
}

/**
 * Builds the peer-certificate policy of one service from its stunnel options:
 * loads CAfile/CApath/CRLfile/CRLpath once, checks the option combination,
 * and returns the {@link PeerVerifier} core plugs into its TLS stage.
 *
 * @throws VerifyConfigError `ERR_TUNNEL_VERIFY_OPTION` (bad level, option without effect, unknown OCSPflag, bad OCSP URL),
 *   `ERR_TUNNEL_VERIFY_STORE` (unreadable or empty store file).
 */
export async function createPeerVerifier(options: PeerVerifierOptions): Promise<PeerVerifier> {
  validate(options);
  const flags = parseOcspFlags(options.OCSPflag ?? []);
  const acl = parseIdentityAcl(options.allowPeer ?? [], options.denyPeer ?? []);
  const store = await loadTrustStore(options);
  const level = options.verify;
  const timeoutMs = options.TIMEOUTocsp === undefined ? DEFAULT_OCSP_TIMEOUT_MS : options.TIMEOUTocsp * 1000;
  const ocsp = {
    url: options.OCSP,
    aia: options.OCSPaia ?? false,
    nonce: options.OCSPnonce ?? false,
    flags,
    timeoutMs,
    require: options.OCSPrequire ?? true,
  };
  const chainChecking = level !== undefined && level >= 1 && level <= 3;

  const tlsOptions: PeerVerifier['tlsOptions'] = {};
  if (store.certificates.length > 0)
    tlsOptions.ca = store.certificates.map((certificate: X509Certificate) => toPem('CERTIFICATE', certificate.raw));
  // Server mode: any verify level asks the client for a certificate (level 0 asks and ignores).
  if (level !== undefined) tlsOptions.requestCert = true;
  // Client mode: ask the server to staple, so its answer can replace a network query.
  if (chainChecking) tlsOptions.requestOCSP = true;

  const verifier: PeerVerifier = {
    tlsOptions,
    check: (socket, context) =>
      checkPeer(peerChain(socket), {
        level,
        store,
        checkHost: options.checkHost,
        checkEmail: options.checkEmail,
        checkIP: options.checkIP,
        ocsp,
        stapled: chainChecking ? context.ocspResponse : undefined,
        signal: context.signal,
        acl,
      }),
  };
  if (options.OCSP !== undefined || options.OCSPaia === true) {
    const stapler = createStapler({ url: options.OCSP, trusted: store.certificates, flags, timeoutMs });
    return { ...verifier, staple: stapler };
  }
  return verifier;
}
