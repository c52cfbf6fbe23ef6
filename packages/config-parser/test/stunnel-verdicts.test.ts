import { readFileSync } from 'node:fs';
import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../src/index.js';
import { memoryFs } from './helpers.js';
import type { OracleCase } from './oracle/corpus.js';
import { explainDisagreement } from './oracle/known.js';

/**
 * A fixed subset of the oracle corpus with the verdicts Debian's stunnel4 5.68 gave (recorded by
 * `npx tsx test/oracle/oracle.ts --write`). parseConfig must agree, except where known.ts documents why not.
 */
interface Recorded extends OracleCase {
  stunnel: 'accept' | 'reject';
  stunnelSays: string;
}

const fixture = JSON.parse(readFileSync(new URL('./oracle/fixture.json', import.meta.url), 'utf8')) as Recorded[];
const values: Record<string, string> = {
  '@DIR@': '/oracle',
  '@CERT@': '/oracle/cert.pem',
  '@KEY@': '/oracle/key.pem',
  '@COMBINED@': '/oracle/combined.pem',
  '@CA@': '/oracle/cert.pem',
  '@PSK@': '/oracle/psk.txt',
};
const fill = (text: string): string => Object.entries(values).reduce((out, [from, to]) => out.replaceAll(from, to), text);

test(
  'the fixture holds 40 recorded verdicts of both kinds',
  timed(() => {
    assert.is(fixture.length, 40);
    assert.ok(fixture.some((item) => item.stunnel === 'accept'));
    assert.ok(fixture.some((item) => item.stunnel === 'reject'));
  }, 2000),
);

for (const item of fixture) {
  const reason = explainDisagreement(item.about);
  const expectation = reason === undefined ? 'agrees with' : 'knowingly differs from';
  test(
    `${item.id} ${item.about}: parseConfig ${expectation} stunnel 5.68 (${item.stunnel})`,
    timed(() => {
      const files = Object.fromEntries(Object.entries(item.files ?? {}).map(([name, text]) => [`/oracle/${name}`, fill(text)]));
      let ours: 'accept' | 'reject' = 'accept';
      try {
        parseConfig(fill(item.text), { file: '/oracle/stunnel.conf', ...memoryFs(files) });
      } catch (error) {
        assert.is((error as { code?: string }).code, 'ERR_TUNNEL_CONFIG');
        ours = 'reject';
      }
      if (reason === undefined) assert.is(ours, item.stunnel, item.stunnelSays);
      else assert.is.not(ours, item.stunnel, reason);
    }, 2000),
  );
}

test.run();
