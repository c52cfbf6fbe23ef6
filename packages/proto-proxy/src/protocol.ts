import type { Duplex } from 'node:stream';
import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import type { ProxyAddresses } from './encode.js';
import { proxyError } from './errors.js';
import { readProxyHeader, sendProxyHeader } from './io.js';
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
  const remote = await context.connectRemote();
  const header = await sendProxyHeader(remote, { ...addresses, version });
  context.log.debug(`PROXY v${version} header sent (${header.length} bytes)`);
}

/** The `protocol = proxy` plugin (server mode): sends the PROXY header to the upstream. */
export const protocol: Protocol = {
  name: 'proxy',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['server'],
  description: 'Send the HAProxy PROXY protocol header (v1, or v2 with protocolVersion = 2) to the upstream',
  validate(options: ProtocolOptions, _mode: Mode): void {
    proxyVersion(options);
  },
  extraOptions: ['version'],
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
