import type { Duplex } from 'node:stream';
import { StreamChannel } from '@tunnel/protocol';
import { mutated } from '@tunnel/protocol-testkit';
import { arbitraryBytes, byteAtATime, everySplit, fuzzRun, PIECE } from '@tunnel/protocol-testkit/fuzz-negotiator';
import { timed } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ConnectAuth, httpConnect, MAX_LINE } from '../src/index.js';

// Property-based fuzzing of the HTTP CONNECT client (RFC 9110 section 9.3.6) against a hostile proxy: status lines,
// header lines, huge heads, no terminator, and NTLM challenges whose base64 is garbage or a mutated Type 2 message.
// The seed is fixed so CI always feeds the same inputs; scripts/fuzz-long.sh sets FUZZ_SEED, FUZZ_RUNS and
// FUZZ_TIME_MS for long random runs.
/** The most a dialogue reads at once: a head line (MAX_LINE), or a skipped 407 body (64 KiB, connect.ts). */
const BOUND = Math.max(MAX_LINE, 64 * 1024) + PIECE;
const run = fuzzRun({ runs: 300, bound: BOUND });

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

/** The CONNECT client on the hostile proxy's socket pair, with no, Basic or NTLM authentication; its channel is metered. */
const connectThrough =
  (auth: ConnectAuth | undefined) =>
  (stream: Duplex, signal: AbortSignal): Promise<unknown> =>
    httpConnect(run.metered(stream, signal), { host: 'imap.example.org', port: 993, headers: ['User-Agent: tunnel'], auth });

const anyAuth = fc.constantFrom(undefined, BASIC, NTLM);

test(
  'arbitrary bytes, status/header-ish heads and mutated responses from the proxy settle with success or a coded ProtocolError',
  timed(async () => {
    await run.property(fc.oneof(arbitraryBytes, heads, mutated(VALID)), anyAuth, connectThrough, CODES);
  }, run.limitMs),
);

test(
  'NTLM challenges with garbage base64 or a mutated Type 2 message settle with success or a coded ProtocolError',
  timed(async () => {
    await run.property(challenges, fc.constant(NTLM), connectThrough, CODES);
  }, run.limitMs),
);

test(
  'the bytes the CONNECT client holds never exceed one line bound (or one skipped body) plus one piece of input',
  timed(() => run.checkPeak()),
);

test(
  'floods end with a code and bounded memory: a head with no line feed, a status line then endless headers, a huge NTLM challenge',
  timed(async () => {
    await run.expectFlood(connectThrough(undefined), (size) => Buffer.alloc(size, 0x48), 'ERR_TUNNEL_LINE_TOO_LONG');
    let first = true;
    await run.expectFlood(
      connectThrough(undefined),
      (size) => {
        const head = first ? 'HTTP/1.1 200 OK\r\n' : '';
        first = false;
        return Buffer.from(head + 'X-Padding: yes\r\n'.repeat(Math.floor(size / 16)));
      },
      'ERR_TUNNEL_CONNECT_TOO_MANY_HEADERS',
    );
    let start = true;
    await run.expectFlood(
      connectThrough(NTLM),
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
    for (const pieces of [...everySplit(wire), byteAtATime(wire)]) {
      let channel: StreamChannel | undefined;
      await run.goodRun(
        pieces,
        (local) => {
          channel = new StreamChannel(local);
          return httpConnect(channel, { host: '::1', port: 443 });
        },
        async (response, _, local) => {
          assert.is(response.status, 200);
          assert.equal(response.headers, [['proxy-agent', 'tinyproxy/1.11.1']]);
          await new Promise((resolve) => setImmediate(resolve));
          const rest = Buffer.concat([channel?.takeBuffered() ?? Buffer.alloc(0), local.read() ?? Buffer.alloc(0)]);
          assert.is(rest.toString(), 'early');
        },
        'the CONNECT',
      );
    }
  }),
);

test(
  'a good NTLM proxy (407 with a real Type 2 challenge, then 200) split at every 7th byte is authenticated',
  timed(async () => {
    const wire = Buffer.from(challenge407(CHALLENGE.toString('base64')) + OK);
    for (const pieces of everySplit(wire, 7)) {
      await run.goodRun(
        pieces,
        (local) => httpConnect(new StreamChannel(local), { host: 'imap.example.org', port: 993, auth: NTLM }),
        (response, sent) => {
          assert.is(response.status, 200);
          assert.is(sent.match(/Proxy-Authorization: NTLM /g)?.length, 2);
        },
        'the CONNECT',
      );
    }
  }),
);

test.after(() => {
  console.log(run.summary('fuzz connect client (hostile proxy, Basic and NTLM)'));
});

test.run();
