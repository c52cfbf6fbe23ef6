import { readFileSync } from 'node:fs';
import { optionRegistry } from '@tunnel/config-parser';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OPTION_STATUS, refusalOf } from '../src/option-status.js';
import { withOptionTable } from '../src/option-table.js';

test('every option the parser knows has a state in the option table', () => {
  const missing = optionRegistry.map((spec) => spec.name).filter((name) => OPTION_STATUS[name] === undefined);
  assert.equal(missing, []);
});

test('the option table names no option the parser does not know', () => {
  const known = new Set(optionRegistry.map((spec) => spec.name));
  assert.equal(
    Object.keys(OPTION_STATUS).filter((name) => !known.has(name)),
    [],
  );
});

test('refusals only fire for values that ask for something', () => {
  assert.is(refusalOf('engineCtrl', []), undefined);
  assert.match(refusalOf('engineCtrl', ['LOAD']) ?? '', /engines/);
  assert.is(refusalOf('CAengine', []), undefined);
  assert.ok(refusalOf('CAengine', ['id']));
  assert.is(refusalOf('sessionCacheSize', 10), undefined);
  assert.ok(refusalOf('engineId', 'pkcs11'));
  assert.is(refusalOf('connect', [{ kind: 'tcp', host: 'x', port: 1 }]), undefined);
});

test('the README option table is up to date (pnpm --filter @tunnel/cli docs:options)', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  assert.is(withOptionTable(readme), readme);
});

test.run();
