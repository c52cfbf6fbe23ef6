/**
 * NTLM over HTTP (MS-NLMP), NTLMv2 responses only: pure message builders and the challenge parser.
 * Only the NT hash needs MD4 (self-written, `md4.ts`); everything else is HMAC-MD5 from node:crypto.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ConnectError } from './errors.js';
import { md4 } from './md4.js';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

/** MS-NLMP §2.2.2.5 flags we ask for: UNICODE | OEM | REQUEST_TARGET | NTLM | ALWAYS_SIGN | EXTENDED_SESSIONSECURITY. */
const NEGOTIATE_FLAGS = 0x00000001 | 0x00000002 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00080000;

/** The Type 1 (NEGOTIATE) message, with no domain or workstation supplied. */
export function ntlmNegotiateMessage(): Buffer {
  const message = Buffer.alloc(32);
  SIGNATURE.copy(message, 0);
  message.writeUInt32LE(1, 8);
  message.writeUInt32LE(NEGOTIATE_FLAGS, 12);
  return message;
}

/** What the server's Type 2 (CHALLENGE) message carries that a Type 3 needs. */
export interface NtlmChallenge {
  readonly flags: number;
  readonly serverChallenge: Buffer;
  /** The AV pairs (MS-NLMP §2.2.2.1), echoed inside the NTLMv2 blob. */
  readonly targetInfo: Buffer;
}

function securityBuffer(message: Buffer, at: number, what: string): Buffer {
  const length = message.readUInt16LE(at);
  const offset = message.readUInt32LE(at + 4);
  if (offset + length > message.length)
    throw new ConnectError('ERR_TUNNEL_CONNECT_NTLM', `the NTLM challenge's ${what} points outside the message`);
  return message.subarray(offset, offset + length);
}

/** Parses a Type 2 message (already base64-decoded); throws `ERR_TUNNEL_CONNECT_NTLM` when it is not one. */
export function parseNtlmChallenge(message: Buffer): NtlmChallenge {
  if (message.length < 32 || !message.subarray(0, 8).equals(SIGNATURE) || message.readUInt32LE(8) !== 2) {
    throw new ConnectError('ERR_TUNNEL_CONNECT_NTLM', 'the proxy sent something that is not an NTLM challenge (Type 2) message');
  }
  const flags = message.readUInt32LE(20);
  const serverChallenge = Buffer.from(message.subarray(24, 32));
  // Target info is optional in old servers (message shorter than 48 bytes); NTLMv2 then uses an empty list.
  const targetInfo = message.length >= 48 ? Buffer.from(securityBuffer(message, 40, 'target information')) : Buffer.alloc(0);
  return { flags, serverChallenge, targetInfo };
}

/** The NT hash: MD4 of the UTF-16LE password (MS-NLMP §3.3.1). */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}

/** NTOWFv2 (MS-NLMP §3.3.2): HMAC-MD5 keyed by the NT hash over UTF-16LE(UPPER(user) + domain). */
export function ntlmV2Hash(username: string, password: string, domain: string): Buffer {
  return createHmac('md5', ntHash(password))
    .update(Buffer.from(username.toUpperCase() + domain, 'utf16le'))
    .digest();
}

/** Inputs of the Type 3 message; `clientChallenge` and `timestamp` are random / now unless given (tests). */
export interface NtlmAuthenticateOptions {
  readonly username: string;
  readonly password: string;
  readonly domain?: string | undefined;
  readonly workstation?: string | undefined;
  readonly clientChallenge?: Buffer | undefined;
  /** Windows FILETIME: 100 ns intervals since 1601-01-01, as a bigint. */
  readonly timestamp?: bigint | undefined;
}

/** NTLMv2 and LMv2 responses for a challenge (MS-NLMP §3.3.2). */
export function ntlmV2Responses(challenge: NtlmChallenge, options: NtlmAuthenticateOptions): { nt: Buffer; lm: Buffer } {
  const key = ntlmV2Hash(options.username, options.password, options.domain ?? '');
  const clientChallenge = options.clientChallenge ?? randomBytes(8);
  const timestamp = options.timestamp ?? (BigInt(Date.now()) + 11_644_473_600_000n) * 10_000n;
  const header = Buffer.alloc(28);
  header.writeUInt8(1, 0); // RespType
  header.writeUInt8(1, 1); // HiRespType
  header.writeBigUInt64LE(timestamp, 8);
  clientChallenge.copy(header, 16);
  const blob = Buffer.concat([header, challenge.targetInfo, Buffer.alloc(4)]);
  const proof = createHmac('md5', key).update(challenge.serverChallenge).update(blob).digest();
  const lmProof = createHmac('md5', key).update(challenge.serverChallenge).update(clientChallenge).digest();
  return { nt: Buffer.concat([proof, blob]), lm: Buffer.concat([lmProof, clientChallenge]) };
}

/** The Type 3 (AUTHENTICATE) message answering `challenge` with NTLMv2 (Unicode strings). */
export function ntlmAuthenticateMessage(challenge: NtlmChallenge, options: NtlmAuthenticateOptions): Buffer {
  const { nt, lm } = ntlmV2Responses(challenge, options);
  const fields = [
    lm,
    nt,
    Buffer.from(options.domain ?? '', 'utf16le'),
    Buffer.from(options.username, 'utf16le'),
    Buffer.from(options.workstation ?? '', 'utf16le'),
    Buffer.alloc(0), // no session key: we never sign or seal, the proxy only authenticates
  ];
  const header = Buffer.alloc(64);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let offset = header.length;
  fields.forEach((field, index) => {
    const at = 12 + index * 8;
    header.writeUInt16LE(field.length, at);
    header.writeUInt16LE(field.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += field.length;
  });
  header.writeUInt32LE((challenge.flags & NEGOTIATE_FLAGS) | 0x00000001, 60);
  return Buffer.concat([header, ...fields]);
}
