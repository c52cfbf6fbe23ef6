import type { Duplex } from 'node:stream';
import {
  type Mode,
  PROTOCOL_CONTRACT_VERSION,
  type Protocol,
  type ProtocolContext,
  type ProtocolOptions,
  type TlsInfo,
} from '@tunnel/protocol';
import type { ProxyAddresses } from './encode.js';
import { proxyError } from './errors.js';
import { readProxyHeader, sendProxyHeader } from './io.js';
import { encodeTlsTlvs, PP2_CLIENT, type ProxyTlv } from './tlv.js';
import type { ProxyEndpoint } from './types.js';

/** The `context.state` key under which `proxy-receive` stores the header it read. */
export const PROXY_HEADER_STATE = 'proxy.header';

/** Reads `protocolVersion = 1 | 2` (extension; `options.extra.version`). */
export function proxyVersion(options: ProtocolOptions): 1 | 2 {
  const value = options.extra?.version;
  if (value === undefined || value === '1') return 1;
  if (value === '2') return 2;
  throw proxyError('ERR_TUNNEL_PROXY_BAD_OPTION', `protocolVersion must be 1 or 2 for the PROXY protocol, not ${JSON.stringify(value)}`);
}

/**
 * Reads `protocolTlv = yes | no` (extension; `options.extra.tlv`): send the TLS TLVs with a v2 header.
 * TLVs exist in v2 only, so `yes` with version 1 is refused.
 */
export function proxyTlv(options: ProtocolOptions): boolean {
  const value = options.extra?.tlv?.toLowerCase();
  if (value === undefined || value === 'no') return false;
  if (value !== 'yes')
    throw proxyError('ERR_TUNNEL_PROXY_BAD_OPTION', `protocolTlv must be yes or no, not ${JSON.stringify(options.extra?.tlv)}`);
  if (proxyVersion(options) !== 2)
    throw proxyError('ERR_TUNNEL_PROXY_BAD_OPTION', 'protocolTlv = yes needs protocolVersion = 2 (TLVs exist in PROXY v2 only)');
  return true;
}

/** The TLS details Node keeps on the socket that TlsInfo does not carry (verification verdict, resumption, the CN). */
interface TlsSocketView {
  readonly authorized?: boolean;
  isSessionReused?: () => boolean;
  getPeerCertificate?: () => { subject?: Record<string, string | string[]> } | null;
}

/**
 * The TLVs describing the client's TLS connection (haproxy's proxy-protocol.txt §2.2): ALPN, AUTHORITY (SNI)
 * and SSL with PP2_CLIENT_SSL, CERT_CONN / CERT_SESS when the client sent a certificate (CERT_CONN only when
 * the session was not resumed), verify 0 only for a certificate that passed OpenSSL's chain check against the
 * service's CA store, and the version, CN and cipher sub-TLVs. `socket` is the decrypted TLS stream, when it
 * is a TLSSocket (not behind compression).
 */
export function tlsTlvsOf(tls: TlsInfo, socket?: unknown): ProxyTlv[] {
  const view = (socket ?? {}) as TlsSocketView;
  const hasCertificate = tls.peerSubject !== undefined;
  const resumed = typeof view.isSessionReused === 'function' ? view.isSessionReused() : false;
  let client: number = PP2_CLIENT.SSL;
  if (hasCertificate) client |= PP2_CLIENT.CERT_SESS | (resumed ? 0 : PP2_CLIENT.CERT_CONN);
  const subjectCn = typeof view.getPeerCertificate === 'function' ? view.getPeerCertificate()?.subject?.CN : undefined;
  const cn = Array.isArray(subjectCn) ? subjectCn[0] : (subjectCn ?? /\/CN=([^/]*)/.exec(tls.peerSubject ?? '')?.[1]);
  return encodeTlsTlvs({
    alpn: typeof tls.alpnProtocol === 'string' ? tls.alpnProtocol : undefined,
    authority: tls.servername,
    ssl: {
      client,
      verify: hasCertificate && view.authorized === true ? 0 : 1,
      version: tls.protocol ?? undefined,
      cn: hasCertificate ? cn : undefined,
      cipher: tls.cipher,
    },
  });
}

/** The local address the client connected to, from the accepted stream when it is a socket. */
function localEndpoint(stream: Duplex): ProxyEndpoint | undefined {
  const socket = stream as { localAddress?: unknown; localPort?: unknown };
  return typeof socket.localAddress === 'string' && typeof socket.localPort === 'number'
    ? { address: socket.localAddress, port: socket.localPort }
    : undefined;
}

/** The client's address as core reports it; a Unix-socket or unknown peer has no IP address. */
function peerEndpoint(context: ProtocolContext): ProxyEndpoint | undefined {
  const { address, port, family } = context.peer;
  return family === 'IPv4' || family === 'IPv6' || family === 'ipv4' || family === 'ipv6' ? { address, port } : undefined;
}

/**
 * Server mode, after the handshake: connect the upstream and write the PROXY header (the real client
 * address and the address it connected to) before any payload. The contract has no field for the
 * accepted connection's local address yet, so it is read from `context.local.stream`.
 */
async function postTls(context: ProtocolContext): Promise<void> {
  const version = proxyVersion(context.options);
  const addresses: ProxyAddresses = { source: peerEndpoint(context), destination: localEndpoint(context.local.stream) };
  const tlvs = proxyTlv(context.options) && context.tls !== undefined ? tlsTlvsOf(context.tls, context.local.stream) : undefined;
  const remote = await context.connectRemote();
  const header = await sendProxyHeader(remote, { ...addresses, version, tlvs });
  context.log.debug(`PROXY v${version} header sent (${header.length} bytes)`);
}

/** The `protocol = proxy` plugin (server mode): sends the PROXY header to the upstream. */
export const protocol: Protocol = {
  name: 'proxy',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['server'],
  description:
    'Send the HAProxy PROXY protocol header (v1, or v2 with protocolVersion = 2, plus TLS TLVs with protocolTlv = yes) to the upstream',
  validate(options: ProtocolOptions, _mode: Mode): void {
    proxyVersion(options);
    proxyTlv(options);
  },
  extraOptions: ['version', 'tlv'],
  postTls,
};

/**
 * Extension: before anything else, read the PROXY v1/v2 header a load balancer sends in front of the
 * client's TLS bytes, log the real client address and keep the header in
 * `context.state.get('proxy.header')`. Bytes buffered past the header (the ClientHello) are put back
 * on the stream so the TLS handshake sees them.
 */
async function preConnect(context: ProtocolContext): Promise<void> {
  const header = await readProxyHeader(context.local);
  context.state.set(PROXY_HEADER_STATE, header);
  const client = header.source === undefined ? 'unknown (LOCAL/UNKNOWN header)' : `${header.source.address}:${header.source.port}`;
  context.log.notice(`PROXY v${header.version} header: client ${client}`);
  // The ClientHello often arrives in the same read as the header. Core treats bytes buffered on the
  // TLS-bound side before the handshake as injection, but these are the client's own TLS bytes:
  // give them back to the stream, in order, before TLS starts.
  const channel = context.local as { takeBuffered?: () => Buffer };
  const rest = channel.takeBuffered?.();
  if (rest !== undefined && rest.length > 0) context.local.stream.unshift(rest);
}

/** The `protocol = proxy-receive` plugin (extension, server mode): accepts connections from a load balancer speaking PROXY. */
export const proxyReceive: Protocol = {
  name: 'proxy-receive',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['server'],
  description: 'Read a HAProxy PROXY v1/v2 header from the accepted connection before TLS (behind a load balancer)',
  preConnect,
};
