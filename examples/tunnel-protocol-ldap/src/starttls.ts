import type { Channel } from '@tunnel/protocol';
import {
  encodeExtendedRequest,
  encodeExtendedResponse,
  type ExtendedRequest,
  type ExtendedResponse,
  type ParseResult,
  parseExtendedRequest,
  parseExtendedResponse,
  STARTTLS_OID,
} from './ber.js';
import { ldapError } from './errors.js';

async function readMessage<T>(channel: Channel, parse: (bytes: Buffer) => ParseResult<T>): Promise<T> {
  let bytes: Buffer = Buffer.alloc(0);
  for (;;) {
    const result = parse(bytes);
    if (result.done) return result.value;
    const next = await channel.readBytes(result.needed);
    bytes = bytes.length === 0 ? next : Buffer.concat([bytes, next]);
  }
}

/**
 * Client side of LDAP StartTLS (RFC 4511 §4.14): sends the StartTLS ExtendedRequest and checks the
 * ExtendedResponse. Resolves when the server said success (resultCode 0) — start TLS on the same
 * socket right after. Rejects with `ERR_TUNNEL_LDAP_STARTTLS_REFUSED` (with the server's resultCode and
 * diagnostic) or `ERR_TUNNEL_LDAP_BAD_MESSAGE`.
 */
export async function startTlsLdap(channel: Channel, options: { messageId?: number } = {}): Promise<ExtendedResponse> {
  const messageId = options.messageId ?? 1;
  await channel.write(encodeExtendedRequest(messageId));
  const response = await readMessage(channel, parseExtendedResponse);
  // messageID 0 is an unsolicited notification (e.g. Notice of Disconnection, §4.4.1): never a StartTLS answer.
  if (response.messageId !== messageId) {
    throw ldapError(
      'ERR_TUNNEL_LDAP_STARTTLS_REFUSED',
      `the LDAP server answered message ${response.messageId} instead of ${messageId}: ${response.resultCode} ${response.diagnosticMessage}`.trim(),
    );
  }
  if (response.resultCode !== 0) {
    throw ldapError(
      'ERR_TUNNEL_LDAP_STARTTLS_REFUSED',
      `the LDAP server refused StartTLS: resultCode ${response.resultCode} ${response.diagnosticMessage}`.trim(),
    );
  }
  return response;
}

/**
 * Server side of LDAP StartTLS: reads the client's first message, which must be the StartTLS
 * ExtendedRequest, and answers success; TLS starts right after. Any other first request is answered
 * with protocolError (2) and rejected with `ERR_TUNNEL_LDAP_NOT_STARTTLS`.
 */
export async function acceptStartTlsLdap(channel: Channel): Promise<ExtendedRequest> {
  const request = await readMessage(channel, parseExtendedRequest);
  if (request.requestName !== STARTTLS_OID) {
    await channel.write(
      encodeExtendedResponse({
        messageId: request.messageId,
        resultCode: 2,
        matchedDN: '',
        diagnosticMessage: 'only StartTLS is accepted before TLS',
      }),
    );
    throw ldapError('ERR_TUNNEL_LDAP_NOT_STARTTLS', `the client asked for extended operation ${request.requestName} instead of StartTLS`);
  }
  await channel.write(
    encodeExtendedResponse({
      messageId: request.messageId,
      resultCode: 0,
      matchedDN: '',
      diagnosticMessage: '',
      responseName: STARTTLS_OID,
    }),
  );
  return request;
}
