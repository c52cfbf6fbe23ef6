import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLru } from '../src/index.js';

function clock() {
  let time = 1000;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

test('the least recently used entry goes first when the cache is full; a read counts as a use', () => {
  const lru = createLru<number>({ maxEntries: 2, ttlMs: 1000 });
  lru.set('a', 1);
  lru.set('b', 2);
  assert.is(lru.get('a'), 1);
  lru.set('c', 3);
  assert.is(lru.get('b'), undefined);
  assert.is(lru.get('a'), 1);
  assert.is(lru.get('c'), 3);
  assert.is(lru.size, 2);
});

test('an entry expires after its time to live, whether it was read or not', () => {
  const time = clock();
  const lru = createLru<string>({ maxEntries: 10, ttlMs: 100, now: time.now });
  lru.set('a', 'x');
  time.advance(99);
  assert.is(lru.get('a'), 'x');
  time.advance(1);
  assert.is(lru.get('a'), undefined);
  assert.is(lru.size, 0);
});

test('maxEntries 0 keeps any number of entries, and stale ones are swept as new ones arrive', () => {
  const time = clock();
  const lru = createLru<number>({ maxEntries: 0, ttlMs: 10, now: time.now });
  for (let i = 0; i < 5000; i += 1) lru.set(`k${i}`, i);
  assert.is(lru.size, 5000);
  time.advance(10);
  for (let i = 0; i < 2600; i += 1) lru.set(`n${i}`, i);
  assert.is(lru.size, 2600, 'every expired entry swept, two per set');
  lru.delete('n1');
  assert.is(lru.get('n1'), undefined);
});

test.run();
