import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Address } from '../src/index.js';

test('an address is either tcp or unix', () => {
  const a: Address = { kind: 'tcp', host: undefined, port: 443 };
  assert.is(a.kind, 'tcp');
});

test.run();
