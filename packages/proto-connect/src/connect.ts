import type { Channel } from '@tunnel/protocol';
import { ConnectError } from './errors.js';
import { ntlmAuthenticateMessage, ntlmNegotiateMessage, parseNtlmChallenge } from './ntlm.js';
import { type ConnectResponse, headerValue, readResponseHead } from './response.js';

/** Proxy authentication (stunnel's `protocolAuthentication`). */
export interface ConnectAuth {
  readonly type: 'basic' | 'ntlm';
  readonly username: string;
  readonly password: string;
  /** NTLM only (`protocolDomain`). */
  readonly domain?: string | undefined;
  /** NTLM only: the workstation name sent in the Type 3 message (default empty). */
  readonly workstation?: string | undefined;
}

/** Options of `httpConnect`. */
export interface HttpConnectOptions {
  /** The host to reach through the proxy: a name, an IPv4 or an IPv6 address (bracketed on the wire). */
  readonly host: string;
  readonly port: number;
  /** Extra header lines (`Name: value`), sent as given after ours (stunnel's `protocolHeader`). */
  readonly headers?: readonly string[] | undefined;
  readonly auth?: ConnectAuth | undefined;
}

/** Longest 407 body skipped between the NTLM round trips. */
const MAX_SKIPPED_BODY = 64 * 1024;

/** `host:port` as a request target (RFC 9112 §3.2.3): IPv6 literals in brackets. */
export function authority(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

function checkNoLineBreak(value: string, what: string): void {
  // A CR or LF would let the value inject header lines or a second request.
  if (/[\r\n\0]/.test(value)) throw new ConnectError('ERR_TUNNEL_CONNECT_BAD_OPTION', `${what} must not contain CR, LF or NUL`);
}

function request(target: string, extra: readonly string[], authorization: string | undefined, keepAlive: boolean): string {
  const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
  if (authorization !== undefined) lines.push(`Proxy-Authorization: ${authorization}`);
  // NTLM authenticates the connection, so it must stay open between the two round trips.
  if (keepAlive) lines.push('Proxy-Connection: Keep-Alive');
  lines.push(...extra, '', '');
  return lines.join('\r\n');
}

function failure(response: ConnectResponse, target: string): ConnectError {
  const line = `${response.status}${response.reason === '' ? '' : ` ${response.reason}`}`;
  // 407 is the proxy's "authenticate first"; some proxies (tinyproxy) answer wrong credentials with 401.
  if (response.status === 407 || response.status === 401) {
    return new ConnectError(
      'ERR_TUNNEL_CONNECT_AUTH_REQUIRED',
      `the proxy refused CONNECT ${target}: ${line} (check protocolAuthentication and credentials)`,
      { status: response.status },
    );
  }
  return new ConnectError('ERR_TUNNEL_CONNECT_REFUSED', `the proxy refused CONNECT ${target}: ${line}`, { status: response.status });
}

async function skipBody(channel: Channel, response: ConnectResponse): Promise<void> {
  const length = headerValue(response, 'content-length');
  if (length === undefined) return;
  const size = /^\d{1,9}$/.test(length) ? Number(length) : Number.NaN;
  if (!(size <= MAX_SKIPPED_BODY))
    throw new ConnectError(
      'ERR_TUNNEL_CONNECT_BAD_RESPONSE',
      `the proxy's 407 body length ${JSON.stringify(length)} is invalid or too large`,
    );
  await channel.readBytes(size);
}

/**
 * Asks an HTTP proxy on `channel` to open a tunnel to `host:port` (RFC 9110 §9.3.6), optionally with
 * Basic (RFC 7617) or NTLMv2 proxy authentication. Resolves with the 2xx response; any other status
 * rejects with `ERR_TUNNEL_CONNECT_REFUSED` / `ERR_TUNNEL_CONNECT_AUTH_REQUIRED` and the status in
 * the message. Bytes the proxy sends after the response head stay buffered in the channel.
 */
export async function httpConnect(channel: Channel, options: HttpConnectOptions): Promise<ConnectResponse> {
  const target = authority(options.host, options.port);
  checkNoLineBreak(target, 'the CONNECT host');
  const extra = options.headers ?? [];
  for (const header of extra) checkNoLineBreak(header, 'a protocolHeader line');
  const auth = options.auth;
  let response: ConnectResponse;
  if (auth?.type === 'ntlm') {
    await channel.write(request(target, extra, `NTLM ${ntlmNegotiateMessage().toString('base64')}`, true));
    response = await readResponseHead(channel);
    if (response.status === 407) {
      const offer = response.headers.find(([name, value]) => name === 'proxy-authenticate' && /^NTLM\s+\S/i.test(value));
      if (offer === undefined)
        throw new ConnectError('ERR_TUNNEL_CONNECT_NTLM', 'the proxy answered 407 without an NTLM challenge', { status: 407 });
      const challenge = parseNtlmChallenge(Buffer.from(offer[1].replace(/^NTLM\s+/i, ''), 'base64'));
      await skipBody(channel, response);
      const type3 = ntlmAuthenticateMessage(challenge, auth);
      await channel.write(request(target, extra, `NTLM ${type3.toString('base64')}`, true));
      response = await readResponseHead(channel);
    }
  } else {
    const authorization =
      auth === undefined ? undefined : `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
    await channel.write(request(target, extra, authorization, false));
    response = await readResponseHead(channel);
  }
  if (response.status < 200 || response.status > 299) throw failure(response, target);
  return response;
}
