import type { Duplex } from 'node:stream';
import { type Channel, StreamChannel } from '@tunnel/protocol';
import { chunk, hostilePeer, mutated } from '@tunnel/protocol-testkit';
import { socketPair, timed, withTimeout } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ConnectAuth, httpConnect, MAX_LINE } from '../src/index.js';

// Property-based fuzzing of the HTTP CONNECT client (RFC 9110 section 9.3.6) against a hostile proxy: status lines,
// header lines, huge heads, no terminator, and NTLM challenges whose base64 is garbage or a mutated Type 2 message.
// The seed is fixed so CI always feeds the same inputs; scripts/fuzz-long.sh sets FUZZ_SEED, FUZZ_RUNS and
// FUZZ_TIME_MS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
/** The largest piece the hostile peer writes at once; a channel may hold one piece past what it is reading. */
const PIECE = 16 * 1024;
/** The most a dialogue reads at once: a head line (MAX_LINE), or a skipped 407 body (64 KiB, connect.ts). */
const BOUND = Math.max(MAX_LINE, 64 * 1024) + PIECE;
let peakBuffered = 0;

const CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_CONNECT_BAD_RESPONSE',
  'ERR_TUNNEL_CONNECT_TOO_MANY_HEADERS',
  'ERR_TUNNEL_CONNECT_REFUSED',
  'ERR_TUNNEL_CONNECT_AUTH_REQUIRED',
  'ERR_TUNNEL_CONNECT_NTLM',
  'ERR_TUNNEL_LINE_TOO_LONG',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);
const NTLM: ConnectAuth = { type: 'ntlm', username: 'User', password: 'Password', domain: 'Domain' };
const BASIC: ConnectAuth = { type: 'basic', username: 'user', password: 'secret' };

/** A Type 2 (CHALLENGE) message as a proxy sends it (MS-NLMP section 2.2.1.2), with a target name and AV pairs. */
function challengeMessage(): Buffer {
  const name = Buffer.from('DOMAIN', 'utf16le');
  const info = Buffer.concat([Buffer.from([2, 0, name.length, 0]), name, Buffer.from([0, 0, 0, 0])]);
  const header = Buffer.alloc(48);
  header.write('NTLMSSP\0', 0, 'latin1');
  header.writeUInt32LE(2, 8);
  header.writeUInt16LE(name.length, 12);
  header.writeUInt16LE(name.length, 14);
  header.writeUInt32LE(48, 16);
  header.writeUInt32LE(0x00828205, 20);
  Buffer.from('0123456789abcdef', 'hex').copy(header, 24);
  header.writeUInt16LE(info.length, 40);
  header.writeUInt16LE(info.length, 42);
  header.writeUInt32LE(48 + name.length, 44);
  return Buffer.concat([header, name, info]);
}
const CHALLENGE = challengeMessage();

const OK = 'HTTP/1.1 200 Connection established\r\nProxy-Agent: tinyproxy/1.11.1\r\n\r\n';
const challenge407 = (base64: string, body = 'denied') =>
  `HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM ${base64}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const VALID = [
  OK,
  'HTTP/1.0 200 OK\r\n\r\nearly tunnel bytes',
  'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n',
  challenge407(CHALLENGE.toString('base64')) + OK,
].map((text) => Buffer.from(text));

/** Status and header lines a proxy might send, with hostile variants. */
const headLine = fc.oneof(
  fc.constantFrom(
    'HTTP/1.1 200 OK',
    'HTTP/1.0 407 x',
    'HTTP/1.1 200',
    'HTTP/2 200',
    'Content-Length: 5',
    'Content-Length: 99999999999',
    ' folded',
    ':',
    '',
  ),
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^HTTP\/1\.[0-9] [0-9]{1,4}[\x20-\x7e]{0,20}$/),
  fc.stringMatching(/^[A-Za-z-]{1,12}: ?[\x20-\x7e]{0,20}$/),
);
const heads = fc
  .tuple(fc.array(headLine, { maxLength: 10 }), fc.constantFrom('\r\n', '\n', '\r', ''), fc.boolean())
  .map(([items, end, terminated]) => Buffer.from(items.map((item) => item + end).join('') + (terminated ? end : '')));
/** NTLM challenges: base64 of random bytes, of a mutated real challenge, or not base64 at all. */
const challenges = fc
  .oneof(
    fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes).toString('base64')),
    mutated([CHALLENGE]).map((bytes) => bytes.toString('base64')),
    fc.string({ maxLength: 80 }).filter((text) => !/[\r\n]/.test(text)),
  )
  .chain((base64) => fc.tuple(fc.constant(base64), fc.constantFrom('', 'x', '0123456789')))
  .map(([base64, body]) => Buffer.from(challenge407(base64, body) + OK));
const arbitrary = fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes));
const cuts = fc.array(fc.nat({ max: 2048 }), { maxLength: 16 });

/**
 * A channel that remembers the most bytes its StreamChannel ever held (after every read, successful or not): the
 * CONNECT client must never hold more than it reads at once plus one piece of input, whatever the peer sends.
 */
function metered(stream: Duplex, signal: AbortSignal): Channel {
  const inner = new StreamChannel(stream, { signal });
  const measure = async <T>(read: () => Promise<T>, extra: (value: T) => number): Promise<T> => {
    try {
      const value = await read();
      peakBuffered = Math.max(peakBuffered, inner.buffered + extra(value));
      return value;
    } catch (error) {
      peakBuffered = Math.max(peakBuffered, inner.buffered);
      throw error;
    }
  };
  return {
    stream,
    get buffered() {
      return inner.buffered;
    },
    readLine: (options) =>
      measure(
        () => inner.readLine(options),
        (line) => Buffer.byteLength(line) + 2,
      ),
    readBytes: (length) =>
      measure(
        () => inner.readBytes(length),
        (bytes) => bytes.length,
      ),
    writeLine: (line) => inner.writeLine(line),
    write: (data) => inner.write(data),
  };
}

/** The CONNECT client on the hostile proxy's socket pair, with no, Basic or NTLM authentication. */
const connectThrough =
  (auth: ConnectAuth | undefined) =>
  (stream: Duplex, signal: AbortSignal): Promise<unknown> =>
    httpConnect(metered(stream, signal), { host: 'imap.example.org', port: 993, headers: ['User-Agent: tunnel'], auth });

const property = (auth: fc.Arbitrary<ConnectAuth | undefined>, input: fc.Arbitrary<Buffer>) =>
  fc.assert(
    fc.asyncProperty(input, cuts, fc.boolean(), auth, (wire, cutPoints, closes, how) =>
      hostilePeer(figures, connectThrough(how), CODES, wire, cutPoints, closes),
    ),
    { seed: SEED, numRuns: RUNS },
  );
const anyAuth = fc.constantFrom(undefined, BASIC, NTLM);

test(
  'arbitrary bytes, status/header-ish heads and mutated responses from the proxy settle with success or a coded ProtocolError',
  timed(async () => {
    await property(anyAuth, fc.oneof(arbitrary, heads, mutated(VALID)));
  }, LIMIT_MS),
);

test(
  'NTLM challenges with garbage base64 or a mutated Type 2 message settle with success or a coded ProtocolError',
  timed(async () => {
    await property(fc.constant(NTLM), challenges);
  }, LIMIT_MS),
);

test(
  'the bytes the CONNECT client holds never exceed one line bound (or one skipped body) plus one piece of input',
  timed(() => {
    assert.ok(peakBuffered > 0, 'the metered channels were used');
    assert.ok(peakBuffered <= BOUND, `peak ${peakBuffered} bytes`);
  }),
);

/** Feeds `total` bytes of `filler` in PIECE-sized writes until the negotiation settles; returns its error. */
async function flood(negotiation: Promise<unknown>, peer: Duplex, make: (size: number) => Buffer, total: number): Promise<unknown> {
  let settled = false;
  const result = negotiation.then(
    () => undefined,
    (error: unknown) => error,
  );
  void result.then(() => {
    settled = true;
  });
  for (let sent = 0; sent < total && !settled; sent += PIECE) {
    peer.write(make(PIECE));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return withTimeout(result, 2000, 'the negotiation');
}

/** Floods the CONNECT client over a fresh socket pair and expects `code`, with the held bytes bounded. */
async function expectFlood(auth: ConnectAuth | undefined, make: (size: number) => Buffer, code: string): Promise<void> {
  const [peer, local] = socketPair();
  peer.resume();
  const abort = new AbortController();
  const error = await flood(connectThrough(auth)(local, abort.signal), peer, make, 8 * 1024 * 1024);
  assert.is((error as { code?: string }).code, code);
  assert.ok(peakBuffered <= BOUND, `peak ${peakBuffered} bytes`);
  figures.inputs += 1;
  figures.refused += 1;
  abort.abort();
  peer.destroy();
  local.destroy();
}

test(
  'floods end with a code and bounded memory: a head with no line feed, a status line then endless headers, a huge NTLM challenge',
  timed(async () => {
    await expectFlood(undefined, (size) => Buffer.alloc(size, 0x48), 'ERR_TUNNEL_LINE_TOO_LONG');
    let first = true;
    await expectFlood(
      undefined,
      (size) => {
        const head = first ? 'HTTP/1.1 200 OK\r\n' : '';
        first = false;
        return Buffer.from(head + 'X-Padding: yes\r\n'.repeat(Math.floor(size / 16)));
      },
      'ERR_TUNNEL_CONNECT_TOO_MANY_HEADERS',
    );
    let start = true;
    await expectFlood(
      NTLM,
      (size) => {
        const head = start ? 'HTTP/1.1 407 x\r\nProxy-Authenticate: NTLM ' : '';
        start = false;
        return Buffer.from(head + 'A'.repeat(size));
      },
      'ERR_TUNNEL_LINE_TOO_LONG',
    );
  }),
);

test(
  'a good response split at every byte boundary is accepted and the early tunnel bytes stay buffered (the harness still works after the fuzzing)',
  timed(async () => {
    const wire = Buffer.from(`${OK}early`);
    const splits = [...Array.from({ length: wire.length - 1 }, (_, at) => chunk(wire, [at + 1])), chunk(wire, [...wire.keys()])];
    for (const pieces of splits) {
      figures.inputs += 1;
      const [peer, local] = socketPair();
      peer.resume();
      const channel = new StreamChannel(local);
      const running = httpConnect(channel, { host: '::1', port: 443 });
      for (const piece of pieces) {
        peer.write(piece);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const response = await withTimeout(running, 2000, 'the CONNECT');
      assert.is(response.status, 200);
      assert.equal(response.headers, [['proxy-agent', 'tinyproxy/1.11.1']]);
      await new Promise((resolve) => setImmediate(resolve));
      const rest = Buffer.concat([channel.takeBuffered(), local.read() ?? Buffer.alloc(0)]);
      assert.is(rest.toString(), 'early');
      figures.accepted += 1;
      peer.destroy();
      local.destroy();
    }
  }),
);

test(
  'a good NTLM proxy (407 with a real Type 2 challenge, then 200) split at every 7th byte is authenticated',
  timed(async () => {
    const wire = Buffer.from(challenge407(CHALLENGE.toString('base64')) + OK);
    for (let at = 1; at < wire.length; at += 7) {
      figures.inputs += 1;
      const [peer, local] = socketPair();
      let sent = '';
      peer.on('data', (data: Buffer) => {
        sent += data.toString('latin1');
      });
      const running = httpConnect(new StreamChannel(local), { host: 'imap.example.org', port: 993, auth: NTLM });
      for (const piece of chunk(wire, [at])) {
        peer.write(piece);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const response = await withTimeout(running, 2000, 'the CONNECT');
      assert.is(response.status, 200);
      assert.is(sent.match(/Proxy-Authorization: NTLM /g)?.length, 2);
      figures.accepted += 1;
      peer.destroy();
      local.destroy();
    }
  }),
);

test.after(() => {
  console.log(
    `fuzz connect client (hostile proxy, Basic and NTLM): seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes, peak buffered ${peakBuffered} bytes`,
  );
});

test.run();
