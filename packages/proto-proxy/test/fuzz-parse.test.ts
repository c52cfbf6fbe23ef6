import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeProxyHeaderV1, encodeProxyHeaderV2, parseProxyHeader, V2_SIGNATURE } from '../src/index.js';

// Property-based fuzzing of the PROXY header parser (the receiving side faces a load balancer or anyone who can
// reach the port). Fixed seed for CI; FUZZ_SEED / FUZZ_RUNS for long runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const figures = { inputs: 0, parsed: 0, needMore: 0, refused: 0 };

/** Parses, and insists on the contract: a header, a bounded "need more", or an error carrying an ERR_TUNNEL_PROXY_ code. */
function probe(bytes: Buffer): void {
  figures.inputs += 1;
  try {
    const result = parseProxyHeader(bytes);
    if (result.done) {
      figures.parsed += 1;
      assert.ok(result.length > 0 && result.length <= bytes.length, 'consumed length within the input');
    } else {
      figures.needMore += 1;
      assert.ok(result.needed > 0 && result.needed <= 65_536 + 16, `asks for a bounded amount (${result.needed})`);
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    assert.ok(typeof code === 'string' && code.startsWith('ERR_TUNNEL_PROXY'), `escaped: ${String(error)}`);
    figures.refused += 1;
  }
}

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
const endpoint = fc.record({ address: ipv4, port: fc.integer({ min: 1, max: 65_535 }) });

test('arbitrary bytes, and bytes behind a v1 or v2 signature, never escape as anything but a coded error', () => {
  const prefixed = fc.tuple(fc.constantFrom(Buffer.from('PROXY '), V2_SIGNATURE, Buffer.alloc(0)), fc.uint8Array({ maxLength: 300 }));
  fc.assert(
    fc.property(prefixed, ([prefix, tail]) => probe(Buffer.concat([prefix, Buffer.from(tail)]))),
    { seed: SEED, numRuns: RUNS },
  );
});

test('valid v1 and v2 headers with a byte changed are parsed or refused with a code, and intact ones round-trip', () => {
  fc.assert(
    fc.property(endpoint, endpoint, fc.boolean(), fc.nat(), fc.nat(255), (source, destination, v2, at, value) => {
      const header = v2 ? encodeProxyHeaderV2({ source, destination }) : encodeProxyHeaderV1({ source, destination });
      const intact = parseProxyHeader(header);
      assert.ok(intact.done && intact.value.source?.address === source.address && intact.value.source?.port === source.port);
      const broken = Buffer.from(header);
      broken[at % broken.length] = value;
      probe(broken);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test.after(() => console.log(`proxy parser fuzz: ${JSON.stringify(figures)}, crashes 0`));

test.run();
