/**
 * The `PSKsecrets = FILE` format: one `IDENTITY:KEY` per line. Pure: text in,
 * identities and keys out, or the first bad line.
 *
 * Rules follow Debian's stunnel 5.68 (the oracle; its manual and behaviour):
 * empty lines are skipped; the identity ends at the first colon; a key made
 * only of hex digit pairs is converted to binary, any other key is taken as
 * its bytes; every key must be at least 16 bytes ("which implies at least 32
 * characters for hexadecimal keys"). The 5.28 manual's "at least 20
 * characters" is weaker than this for text keys.
 */

/** A parsed PSKsecrets file: identities in file order (the first is a client's default), each with its key. */
export type PskSecrets = ReadonlyMap<string, Buffer>;

/** The first problem in a PSKsecrets file: its 1-based line and why. */
export interface PskSecretsProblem {
  readonly line: number;
  readonly message: string;
}

/** stunnel 5.68's minimum key length in bytes. */
export const PSK_MIN_KEY_BYTES = 16;
/** Bounds on untrusted input: OpenSSL 3 takes identities up to 256 bytes and keys up to 512. */
const MAX_IDENTITY_BYTES = 256;
const MAX_KEY_BYTES = 512;
const MAX_ENTRIES = 10_000;
/** A PSKsecrets file larger than this is refused before it is split into lines. */
export const PSK_MAX_FILE_BYTES = 1024 * 1024;

const HEX_PAIRS = /^(?:[0-9a-fA-F]{2})+$/;

/** Parses a PSKsecrets file. Returns the secrets, or the first bad line. */
export function parsePskSecrets(text: string): { secrets: PskSecrets } | { problem: PskSecretsProblem } {
  if (Buffer.byteLength(text) > PSK_MAX_FILE_BYTES)
    return { problem: { line: 1, message: `file larger than ${PSK_MAX_FILE_BYTES} bytes` } };
  const secrets = new Map<string, Buffer>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = index + 1;
    const raw = (lines[index] ?? '').replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const colon = raw.indexOf(':');
    if (colon === -1) return { problem: { line, message: 'not in IDENTITY:KEY format' } };
    const identity = raw.slice(0, colon);
    const keyText = raw.slice(colon + 1);
    if (Buffer.byteLength(identity) > MAX_IDENTITY_BYTES) {
      return { problem: { line, message: `identity longer than ${MAX_IDENTITY_BYTES} bytes` } };
    }
    const key = HEX_PAIRS.test(keyText) ? Buffer.from(keyText, 'hex') : Buffer.from(keyText);
    if (key.length < PSK_MIN_KEY_BYTES) {
      const kind = HEX_PAIRS.test(keyText) ? 'hexadecimal' : 'text';
      return {
        problem: {
          line,
          message: `the key of identity "${identity}" is ${key.length} bytes (${kind}); at least ${PSK_MIN_KEY_BYTES} bytes are required (32 hex digits)`,
        },
      };
    }
    if (key.length > MAX_KEY_BYTES) return { problem: { line, message: `key longer than ${MAX_KEY_BYTES} bytes` } };
    // A repeated identity keeps its first key, the one a server lookup finds first in stunnel.
    if (!secrets.has(identity)) secrets.set(identity, key);
    if (secrets.size > MAX_ENTRIES) return { problem: { line, message: `more than ${MAX_ENTRIES} identities` } };
  }
  if (secrets.size === 0) return { problem: { line: 1, message: 'no IDENTITY:KEY line' } };
  return { secrets };
}
