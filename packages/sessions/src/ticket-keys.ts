import { hkdfSync } from 'node:crypto';
import { SessionsError } from './errors.js';

/** Options of {@link deriveTicketKeys}: stunnel's `ticketKeySecret` and `ticketMacSecret`. */
export interface TicketSecrets {
  /** `ticketKeySecret`: 16 or 32 bytes. */
  readonly keySecret: Buffer;
  /** `ticketMacSecret`: 16 or 32 bytes. */
  readonly macSecret: Buffer;
}

const SALT = 'tunnel session ticket keys v1';

function derive(ikm: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, SALT, info, 16));
}

/**
 * Derives Node's 48-byte `ticketKeys` (16 bytes key name, 16 HMAC-SHA256
 * secret, 16 AES-128-CBC key; RFC 5077 §4's recommended construction) from
 * the two stunnel secrets with HKDF-SHA256 (RFC 5869), salt
 * `tunnel session ticket keys v1`:
 *
 * - name = HKDF(keySecret ‖ macSecret, info `name`)
 * - HMAC secret = HKDF(macSecret, info `hmac`)
 * - AES key = HKDF(keySecret, info `aes`)
 *
 * Deterministic: every tunnel with the same secrets resumes the others'
 * tickets. Node's ticket format differs from stunnel's (stunnel hands the
 * secrets to OpenSSL as they are), so tickets do not cross between the two.
 */
export function deriveTicketKeys(secrets: TicketSecrets): Buffer {
  for (const [name, value] of [
    ['keySecret', secrets.keySecret],
    ['macSecret', secrets.macSecret],
  ] as const) {
    if (!Buffer.isBuffer(value) || (value.length !== 16 && value.length !== 32)) {
      throw new SessionsError('ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', `${name} must be 16 or 32 bytes`);
    }
  }
  return Buffer.concat([
    derive(Buffer.concat([secrets.keySecret, secrets.macSecret]), 'name'),
    derive(secrets.macSecret, 'hmac'),
    derive(secrets.keySecret, 'aes'),
  ]);
}
