import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { name } from '../src/index.js';

test('package is named', () => {
  assert.is(name, '@tunnel/core');
});

test.run();
