/** Bounds for untrusted store files: a store is configuration, but a wrong path must not exhaust memory. */
const MAX_PEM_BLOCKS = 10_000;

/** One `-----BEGIN LABEL-----` block of a PEM text, decoded to DER. */
export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Splits a PEM text (RFC 7468) into its blocks, in order. Text between blocks
 * is ignored, as OpenSSL's PEM reader ignores it (bundles often carry
 * human-readable headers). Throws when a block's base64 body is not base64.
 */
export function splitPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    if (blocks.length >= MAX_PEM_BLOCKS) throw new Error(`more than ${MAX_PEM_BLOCKS} PEM blocks`);
    const label = match[1] ?? '';
    const body = (match[2] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error(`PEM block ${label} is not base64`);
    blocks.push({ label, der: Buffer.from(body, 'base64') });
  }
  return blocks;
}

/** Re-encodes DER as PEM with 64-column lines. */
export function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
