import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, parseConfig } from '../src/index.js';
import { generateCorpus } from './oracle/corpus.js';
import { memoryFs } from './helpers.js';

/** A small seeded PRNG (xorshift32) so every run feeds the same inputs. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

const pieces = [
  '[',
  ']',
  '=',
  ':',
  ';',
  '#',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\uFEFF',
  'accept',
  'connect',
  'cert',
  'client',
  'sni',
  'include',
  'socket',
  'a:SO_LINGER',
  'yes',
  'no',
  '443',
  '::',
  '/',
  'verify',
  '9',
  'debug',
  'local0.',
  '\u0000',
  'é',
  '-',
  'x',
];

test(
  'random token soup is either parsed or refused with ConfigError, never crashes',
  timed(() => {
    const next = random(20_251_125);
    for (let round = 0; round < 2000; round++) {
      let text = '';
      const length = Math.floor(next() * 60);
      for (let index = 0; index < length; index++) text += pieces[Math.floor(next() * pieces.length)];
      try {
        parseConfig(text, { file: 'fuzz.conf', ...memoryFs({ '/x/a': text }) });
      } catch (error) {
        if (!(error instanceof ConfigError)) {
          assert.unreachable(`${JSON.stringify(text)} threw ${String(error)}`);
          throw error;
        }
        for (const issue of error.issues) assert.ok(issue.line >= 0 && issue.file.length > 0);
      }
    }
  }, 20_000),
);

test(
  'every corpus configuration gets the same verdict with LF, CRLF and a leading byte order mark',
  timed(() => {
    const verdict = (text: string, files: Record<string, string>): string => {
      try {
        parseConfig(text, { file: '/oracle/stunnel.conf', ...memoryFs(files) });
        return 'accept';
      } catch (error) {
        return (error as ConfigError).issues.map((issue) => `${issue.code}@${issue.line}`).join(',');
      }
    };
    for (const item of generateCorpus()) {
      const files = Object.fromEntries(Object.entries(item.files ?? {}).map(([name, text]) => [`/oracle/${name}`, text]));
      const crlfFiles = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, text.replaceAll('\n', '\r\n')]));
      const lf = verdict(item.text, files);
      assert.is(verdict(item.text.replaceAll('\n', '\r\n'), crlfFiles), lf, `${item.id} ${item.about} (CRLF)`);
      if (!item.text.startsWith('\uFEFF')) assert.is(verdict(`\uFEFF${item.text}`, files), lf, `${item.id} ${item.about} (BOM)`);
    }
  }, 20_000),
);

test.run();
