import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemorySessionStore, deriveTicketKeys } from '../src/index.js';

const key16 = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const mac32 = Buffer.alloc(32, 0xab);

test('the same secrets always give the same 48 bytes, with name, HMAC and AES parts all different', () => {
  const a = deriveTicketKeys({ keySecret: key16, macSecret: mac32 });
  const b = deriveTicketKeys({ keySecret: Buffer.from(key16), macSecret: Buffer.from(mac32) });
  assert.is(a.length, 48);
  assert.equal(a, b);
  const [name, hmac, aes] = [a.subarray(0, 16), a.subarray(16, 32), a.subarray(32)];
  assert.not.equal(name, hmac);
  assert.not.equal(hmac, aes);
  // The derivation is documented (README) and pinned: a change would break resumption between versions.
  // Name and AES parts checked independently with `openssl kdf … HKDF` (salt "tunnel session ticket keys v1").
  assert.is(name.toString('hex'), '5bda9dadab2df27aae50ea42ed69c524');
  assert.is(aes.toString('hex'), '36cf8120df6cb664b06b8169c3d21eab');
  assert.is(hmac.toString('hex'), '27635e7125e3a032870148c7f4fb85ce');
});

test('changing either secret changes the keys', () => {
  const base = deriveTicketKeys({ keySecret: key16, macSecret: mac32 });
  assert.not.equal(deriveTicketKeys({ keySecret: Buffer.alloc(16, 1), macSecret: mac32 }), base);
  assert.not.equal(deriveTicketKeys({ keySecret: key16, macSecret: Buffer.alloc(32, 1) }), base);
});

test('secrets that are not 16 or 32 bytes are refused with ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', () => {
  for (const [keySecret, macSecret] of [
    [Buffer.alloc(15), mac32],
    [key16, Buffer.alloc(24)],
    [Buffer.alloc(0), Buffer.alloc(0)],
  ] as const) {
    try {
      deriveTicketKeys({ keySecret, macSecret });
      assert.unreachable('accepted');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SESSIONS_BAD_ARGUMENT');
    }
  }
});

test('a memory store hands out the ticket keys it was given, or 48 random bytes of its own', async () => {
  const keys = deriveTicketKeys({ keySecret: key16, macSecret: mac32 });
  assert.equal(await createMemorySessionStore({ ticketKeys: keys }).ticketKeys(), keys);
  const own = await createMemorySessionStore().ticketKeys();
  assert.is(own.length, 48);
  assert.not.equal(own, await createMemorySessionStore().ticketKeys());
});

test.run();
