import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMemorySessionStore, MAX_SESSION_BYTES } from '../src/index.js';

const id = (n: number) => Buffer.alloc(32, n);

test('keeps at most maxEntries sessions (sessionCacheSize), the least recently used going first', async () => {
  const store = createMemorySessionStore({ maxEntries: 2 });
  await store.set(id(1), Buffer.from('one'));
  await store.set(id(2), Buffer.from('two'));
  await store.get(id(1));
  await store.set(id(3), Buffer.from('three'));
  assert.is(store.size, 2);
  assert.is(await store.get(id(2)), undefined);
  assert.equal(await store.get(id(1)), Buffer.from('one'));
  await store.close();
});

test('ignores empty or oversized IDs and sessions instead of storing them', async () => {
  const store = createMemorySessionStore();
  await store.set(Buffer.alloc(0), Buffer.from('x'));
  await store.set(Buffer.alloc(33, 1), Buffer.from('x'));
  await store.set(id(1), Buffer.alloc(0));
  await store.set(id(2), Buffer.alloc(MAX_SESSION_BYTES + 1));
  assert.is(store.size, 0);
});

test('refuses a negative size, a zero lifetime and ticket keys that are not 48 bytes with ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', () => {
  for (const options of [
    { maxEntries: -1 },
    { maxEntries: 1.5 },
    { ttlSeconds: 0 },
    { ttlSeconds: Number.NaN },
    { ticketKeys: Buffer.alloc(32) },
  ]) {
    try {
      createMemorySessionStore(options);
      assert.unreachable(JSON.stringify(options));
    } catch (error) {
      assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SESSIONS_BAD_ARGUMENT');
    }
  }
});

test.run();
