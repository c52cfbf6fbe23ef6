import { createHash, timingSafeEqual } from 'node:crypto';
import type { Channel, ProtocolError } from '@tunnel/protocol';
import { socksError } from './errors.js';
import {
  type ParseResult,
  parseSocks5Greeting,
  parseSocks5UserPass,
  parseSocksRequest,
  type SocksCredentials,
  type SocksRequestFields,
} from './parse.js';
import {
  type BoundAddress,
  encodeSocks4Reply,
  encodeSocks5AuthReply,
  encodeSocks5Method,
  encodeSocks5Reply,
  type SocksStatus,
} from './reply.js';

/** RFC 1928 §3 method numbers. */
const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NO_ACCEPTABLE = 0xff;

/** Options of `acceptSocksRequest`. */
export interface AcceptSocksOptions {
  /**
   * When set, SOCKS 5 clients must authenticate with RFC 1929 username/password and these
   * credentials, and SOCKS 4 clients (which cannot) are rejected. When absent, only "no
   * authentication" is offered, as stunnel does.
   */
  readonly credentials?: SocksCredentials | undefined;
}

/** A request read from a client, waiting for the caller to connect and answer. */
export interface SocksRequest extends SocksRequestFields {
  /**
   * Sends the reply for this request: `succeeded` with the bound address after connecting, or a
   * failure status, which carries the requested address unless `bound` is given (stunnel 5.68 does
   * the same). Only the first call writes; later calls do nothing.
   */
  reply(status: SocksStatus, bound?: BoundAddress): Promise<void>;
}

async function readMessage<T>(channel: Channel, parse: (bytes: Buffer) => ParseResult<T>, initial: Buffer): Promise<T> {
  let bytes = initial;
  for (;;) {
    const result = parse(bytes);
    if (result.done) return result.value;
    // `needed` never reaches past the message, so bytes the client pipelined after it stay in the channel.
    const next = await channel.readBytes(result.needed);
    bytes = bytes.length === 0 ? next : Buffer.concat([bytes, next]);
  }
}

function sameSecret(given: string, expected: string): boolean {
  // Hash first so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The reply a parser error deserves, if the client's version is known. */
function statusForParseError(error: ProtocolError): SocksStatus {
  if (error.code === 'ERR_TUNNEL_SOCKS_ADDRESS_TYPE_NOT_SUPPORTED') return 'address-type-not-supported';
  return 'general-failure';
}

async function negotiateSocks5Method(channel: Channel, options: AcceptSocksOptions): Promise<void> {
  const methods = await readMessage(channel, parseSocks5Greeting, Buffer.from([5]));
  const wanted = options.credentials === undefined ? NO_AUTH : USER_PASS;
  if (!methods.includes(wanted)) {
    await channel.write(encodeSocks5Method(NO_ACCEPTABLE));
    throw socksError(
      'ERR_TUNNEL_SOCKS_NO_ACCEPTABLE_METHOD',
      `the SOCKS 5 client offered methods [${methods.join(', ')}] but the server requires ${wanted === NO_AUTH ? 'no authentication (0)' : 'username/password (2)'}`,
    );
  }
  await channel.write(encodeSocks5Method(wanted));
  if (options.credentials === undefined) return;
  const given = await readMessage(channel, parseSocks5UserPass, Buffer.alloc(0));
  const ok = sameSecret(given.username, options.credentials.username) && sameSecret(given.password, options.credentials.password);
  await channel.write(encodeSocks5AuthReply(ok));
  if (!ok)
    throw socksError('ERR_TUNNEL_SOCKS_AUTH_FAILED', `the SOCKS 5 client failed username/password authentication as "${given.username}"`);
}

/**
 * Reads one SOCKS 4, 4a or 5 request from `channel` (server side), doing SOCKS 5 method
 * negotiation first. Requests the server cannot serve are answered here with the proper reply and
 * rejected: BIND and UDP ASSOCIATE (SOCKS 5 reply 0x07, SOCKS 4 reply 91), unknown address types
 * (0x08), malformed requests (0x01 / 91). A CONNECT request is returned with a `reply()` for the
 * caller to send once it knows whether the connection to `host:port` worked.
 */
export async function acceptSocksRequest(channel: Channel, options: AcceptSocksOptions = {}): Promise<SocksRequest> {
  const first = await channel.readBytes(1);
  const version = first[0];
  if (version !== 4 && version !== 5) {
    // No reply exists for an unknown version: both reply formats would be misread. Close instead.
    throw socksError('ERR_TUNNEL_SOCKS_BAD_VERSION', `the client speaks SOCKS version ${version}, not 4 or 5`);
  }
  const encode = version === 4 ? encodeSocks4Reply : encodeSocks5Reply;
  let fields: SocksRequestFields;
  if (version === 5) {
    await negotiateSocks5Method(channel, options);
    try {
      fields = await readMessage(channel, parseSocksRequest, Buffer.alloc(0));
    } catch (error) {
      if ((error as ProtocolError).code?.startsWith('ERR_TUNNEL_SOCKS_'))
        await channel.write(encode(statusForParseError(error as ProtocolError)));
      throw error;
    }
    if (fields.version !== 5) {
      await channel.write(encode('general-failure'));
      throw socksError('ERR_TUNNEL_SOCKS_MALFORMED', 'the SOCKS 5 client sent a SOCKS 4 request after method negotiation');
    }
  } else {
    try {
      fields = await readMessage(channel, parseSocksRequest, first);
    } catch (error) {
      if ((error as ProtocolError).code?.startsWith('ERR_TUNNEL_SOCKS_')) await channel.write(encode('general-failure'));
      throw error;
    }
    if (options.credentials !== undefined) {
      await channel.write(encode('not-allowed'));
      throw socksError(
        'ERR_TUNNEL_SOCKS_NO_ACCEPTABLE_METHOD',
        'a SOCKS 4 client cannot authenticate and the server requires username/password',
      );
    }
  }
  if (fields.command !== 'connect') {
    await channel.write(encode('command-not-supported'));
    throw socksError(
      'ERR_TUNNEL_SOCKS_COMMAND_NOT_SUPPORTED',
      `the SOCKS ${version} ${fields.command} command (${fields.commandCode}) is not supported; only CONNECT is`,
    );
  }
  let replied = false;
  return {
    ...fields,
    reply: async (status, bound) => {
      if (replied) return;
      replied = true;
      // SOCKS 4a asked with DSTIP 0.0.0.x; echo that form rather than the name SOCKS 4 cannot carry.
      const requested = { address: fields.version === 4 && fields.addressType === 'domain' ? '0.0.0.1' : fields.host, port: fields.port };
      await channel.write(encode(status, bound ?? (status === 'succeeded' ? undefined : requested)));
    },
  };
}
