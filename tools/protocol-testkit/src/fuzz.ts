import type { Duplex } from 'node:stream';
import { ProtocolError } from '@tunnel/protocol';
import fc from 'fast-check';
import { socketPair, withTimeout } from '@tunnel/testkit';

/** What a negotiator fuzz file counts and prints at the end. */
export interface FuzzFigures {
  inputs: number;
  accepted: number;
  refused: number;
  crashes: number;
}

/** Cuts `data` at the given offsets (taken modulo its length) into chunks, in order. */
export function chunk(data: Buffer, cuts: readonly number[]): Buffer[] {
  if (data.length === 0) return [];
  const points = [...new Set(cuts.map((cut) => cut % data.length))].filter((cut) => cut > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  chunks.push(data.subarray(start));
  return chunks;
}

/** A valid message with some bytes overwritten, then arbitrary bytes appended: inputs that get past the first checks. */
export const mutated = (valid: readonly Buffer[]) =>
  fc
    .tuple(
      fc.constantFrom(...valid),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.uint8Array({ maxLength: 40 }),
    )
    .map(([message, edits, tail]) => {
      const copy = Buffer.from(message);
      for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value;
      return Buffer.concat([copy, tail]);
    });

/**
 * One hostile peer: `wire` arrives in chunks (one per event-loop turn); then the peer either closes its side or goes
 * silent until the connection's signal fires (what core's TIMEOUTbusy does). The negotiator must settle within 2 s,
 * resolving or rejecting with a ProtocolError whose code is one of `codes`.
 */
export async function hostilePeer(
  figures: FuzzFigures,
  negotiate: (stream: Duplex, signal: AbortSignal) => Promise<unknown>,
  codes: ReadonlySet<string>,
  wire: Buffer,
  cuts: readonly number[],
  closes: boolean,
): Promise<void> {
  figures.inputs += 1;
  const [peer, local] = socketPair();
  const abort = new AbortController();
  const settled = negotiate(local, abort.signal).then(
    () => undefined,
    (error: unknown) => error,
  );
  for (const piece of chunk(wire, cuts)) {
    peer.write(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (closes) peer.end();
  else setTimeout(() => abort.abort(new ProtocolError('ERR_TUNNEL_ABORTED', 'TIMEOUTbusy (fuzz)')), 5);
  try {
    const error = await withTimeout(settled, 2000, 'the negotiation');
    if (error === undefined) {
      figures.accepted += 1;
      return;
    }
    if (!(error instanceof ProtocolError) || !codes.has(error.code)) {
      throw new Error(`escaped: ${String(error)} (code ${(error as { code?: unknown }).code})`, { cause: error });
    }
    figures.refused += 1;
  } catch (error) {
    figures.crashes += 1;
    throw error;
  } finally {
    abort.abort();
    peer.destroy();
    local.destroy();
  }
}
