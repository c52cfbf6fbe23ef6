import type { Duplex } from 'node:stream';
import { socketPair, timed, withTimeout } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProtocolError, StreamChannel } from '../src/index.js';

// Property-based fuzzing of StreamChannel. The seed is fixed so CI always feeds the same inputs;
// scripts/fuzz-long.sh sets FUZZ_SEED and FUZZ_RUNS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
/** Each property's time limit (long runs raise it). */
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, crashes: 0 };

/** Cuts `data` at the given offsets (taken modulo its length) into chunks, in order. */
function chunk(data: Buffer, cuts: readonly number[]): Buffer[] {
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

/** Writes the chunks one per event-loop turn (so reads interleave with arrivals), then ends the stream. */
async function deliver(stream: Duplex, chunks: readonly Buffer[]): Promise<void> {
  for (const piece of chunks) {
    stream.write(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
  stream.end();
}

/** Runs one property input, counting it, and failing (as a crash) on any error that is not the expected kind. */
async function counted<T>(body: () => Promise<T>): Promise<T> {
  figures.inputs += 1;
  try {
    return await withTimeout(body(), 2000, 'one fuzz input');
  } catch (error) {
    figures.crashes += 1;
    throw error;
  }
}

// Lines: any text without LF; a line must not end in CR, since a CR before the LF is part of the terminator.
const lineText = fc.string({ unit: 'binary', maxLength: 40 }).filter((line) => !line.includes('\n') && !line.endsWith('\r'));
const cuts = fc.array(fc.nat({ max: 4096 }), { maxLength: 30 });

test(
  'any chunking of a stream of LF and CRLF lines yields the same lines, then ERR_TUNNEL_PEER_CLOSED',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(lineText, fc.boolean()), { maxLength: 20 }), cuts, (lines, cutPoints) =>
        counted(async () => {
          const wire = Buffer.concat(lines.map(([text, crlf]) => Buffer.from(`${text}${crlf ? '\r\n' : '\n'}`)));
          const [peer, local] = socketPair();
          const channel = new StreamChannel(local);
          const delivery = deliver(peer, chunk(wire, cutPoints));
          for (const [text] of lines) assert.is(await channel.readLine({ maxLength: 4096 }), Buffer.from(text).toString());
          const end = await channel.readLine().catch((error: unknown) => error);
          assert.instance(end, ProtocolError);
          assert.is((end as ProtocolError).code, 'ERR_TUNNEL_PEER_CLOSED');
          await delivery;
          assert.is(channel.buffered, 0);
        }),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, LIMIT_MS),
);

test(
  'any chunking of arbitrary bytes read with arbitrary readBytes sizes yields the bytes in order, leftovers in takeBuffered',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat({ max: 300 }), { maxLength: 12 }),
        cuts,
        (bytes, sizes, cutPoints) =>
          counted(async () => {
            const data = Buffer.from(bytes);
            const [peer, local] = socketPair();
            const channel = new StreamChannel(local);
            const delivery = deliver(peer, chunk(data, cutPoints));
            let offset = 0;
            for (const size of sizes) {
              if (offset + size > data.length) {
                const error = await channel.readBytes(size).catch((caught: unknown) => caught);
                assert.instance(error, ProtocolError);
                assert.is((error as ProtocolError).code, 'ERR_TUNNEL_PEER_CLOSED');
                await delivery;
                return;
              }
              assert.equal(await channel.readBytes(size), data.subarray(offset, offset + size));
              offset += size;
            }
            await delivery;
            assert.equal(Buffer.concat([channel.takeBuffered(), local.read() ?? Buffer.alloc(0)]), data.subarray(offset));
          }),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, LIMIT_MS),
);

test(
  'a line longer than maxLength fails with ERR_TUNNEL_LINE_TOO_LONG however it is chunked, buffering at most maxLength plus one chunk',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.boolean(),
        fc.array(fc.nat({ max: 4096 }), { maxLength: 40 }),
        (maxLength, excess, terminated, cutPoints) =>
          counted(async () => {
            const wire = Buffer.concat([Buffer.alloc(maxLength + excess, 'a'), Buffer.from(terminated ? '\r\nnext\n' : '')]);
            const chunks = chunk(wire, cutPoints);
            const largest = Math.max(...chunks.map((piece) => piece.length));
            const [peer, local] = socketPair();
            const channel = new StreamChannel(local);
            const delivery = deliver(peer, chunks);
            const error = await channel.readLine({ maxLength }).catch((caught: unknown) => caught);
            assert.instance(error, ProtocolError);
            assert.is((error as ProtocolError).code, 'ERR_TUNNEL_LINE_TOO_LONG');
            assert.ok(channel.buffered <= maxLength + largest, `buffered ${channel.buffered} > ${maxLength} + ${largest}`);
            await delivery;
          }),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, LIMIT_MS),
);

test(
  'a line of exactly maxLength bytes (LF-terminated) is accepted however it is chunked',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), cuts, (maxLength, cutPoints) =>
        counted(async () => {
          const [peer, local] = socketPair();
          const channel = new StreamChannel(local);
          const delivery = deliver(peer, chunk(Buffer.from(`${'b'.repeat(maxLength)}\n`), cutPoints));
          assert.is(await channel.readLine({ maxLength }), 'b'.repeat(maxLength));
          await delivery;
        }),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, LIMIT_MS),
);

test(
  'an abort while waiting for a line settles the read with the abort reason',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1').replaceAll('\n', ' ')),
        (partial) =>
          counted(async () => {
            const [peer, local] = socketPair();
            const abort = new AbortController();
            const channel = new StreamChannel(local, { signal: abort.signal });
            peer.write(partial);
            const reading = channel.readLine().catch((error: unknown) => error);
            await new Promise((resolve) => setImmediate(resolve));
            abort.abort(new ProtocolError('ERR_TUNNEL_ABORTED', 'test abort'));
            const error = await reading;
            assert.instance(error, ProtocolError);
            assert.is((error as ProtocolError).code, 'ERR_TUNNEL_ABORTED');
          }),
      ),
      { seed: SEED, numRuns: Math.min(RUNS, 100) },
    );
  }, LIMIT_MS),
);

test.after(() => {
  console.log(`fuzz StreamChannel: seed ${SEED}, ${figures.inputs} inputs tried, ${figures.crashes} crashes`);
});

test.run();
