import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSocks5Greeting, parseSocks5UserPass, parseSocksRequest } from '../src/index.js';

// Property-based fuzzing of the SOCKS parsers: the request arrives from a hostile client inside TLS. Fixed seed for CI;
// FUZZ_SEED / FUZZ_RUNS for long runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const figures = { inputs: 0, parsed: 0, needMore: 0, refused: 0 };

type Parser = (bytes: Buffer) => { done: boolean; needed?: number; length?: number };

/** Runs a parser and insists on the contract: a value, a bounded "need more", or an error with an ERR_TUNNEL_SOCKS_ code. */
function probe(parse: Parser, bytes: Buffer): void {
  figures.inputs += 1;
  try {
    const result = parse(bytes);
    if (result.done) {
      figures.parsed += 1;
      assert.ok((result.length ?? 0) > 0 && (result.length ?? 0) <= bytes.length, 'consumed length within the input');
    } else {
      figures.needMore += 1;
      assert.ok((result.needed ?? 0) > 0 && (result.needed ?? 0) <= 2048, `asks for a bounded amount (${result.needed})`);
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    assert.ok(typeof code === 'string' && code.startsWith('ERR_TUNNEL_SOCKS'), `escaped: ${String(error)}`);
    figures.refused += 1;
  }
}

const parsers: ReadonlyArray<[string, Parser]> = [
  ['request', parseSocksRequest as Parser],
  ['SOCKS 5 greeting', parseSocks5Greeting as Parser],
  ['RFC 1929 username/password', parseSocks5UserPass as Parser],
];

for (const [name, parse] of parsers) {
  test(`${name}: arbitrary bytes (and bytes behind a plausible version byte) never escape as anything but a coded error`, () => {
    const input = fc.tuple(fc.constantFrom(4, 5, 1, 0), fc.uint8Array({ maxLength: 600 }));
    fc.assert(
      fc.property(input, ([version, tail]) => probe(parse, Buffer.concat([Buffer.from([version]), Buffer.from(tail)]))),
      { seed: SEED, numRuns: RUNS },
    );
  });
}

test('SOCKS 5 CONNECT requests with every address type and a byte changed are parsed or refused with a code', () => {
  const request = fc.oneof(
    fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.constant(1)),
    fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constant(4)),
    fc.tuple(
      fc.string({ minLength: 1, maxLength: 255 }).map((s) => Buffer.from(s).subarray(0, 255)),
      fc.constant(3),
    ),
  );
  fc.assert(
    fc.property(request, fc.nat(65_535), fc.nat(), fc.nat(255), ([address, type], port, at, value) => {
      const body = type === 3 ? Buffer.concat([Buffer.from([address.length]), Buffer.from(address)]) : Buffer.from(address);
      const portBytes = Buffer.from([port >> 8, port & 0xff]);
      const wire = Buffer.concat([Buffer.from([5, 1, 0, type]), body, portBytes]);
      probe(parseSocksRequest as Parser, wire);
      wire[at % wire.length] = value;
      probe(parseSocksRequest as Parser, wire);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test.after(() => console.log(`socks parser fuzz: ${JSON.stringify(figures)}, crashes 0`));

test.run();
