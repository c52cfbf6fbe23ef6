import { createHash, randomBytes } from 'node:crypto';

/** Hex SHA-256 of a buffer, for checksummed transfers. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `size` random bytes. */
export function randomPayload(size: number): Buffer {
  return randomBytes(size);
}
