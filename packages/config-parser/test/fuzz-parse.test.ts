import { timed } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, parseConfig } from '../src/index.js';
import { memoryFs } from './helpers.js';
import { generateCorpus } from './oracle/corpus.js';

// Property-based fuzzing of parseConfig: a careless or hostile configuration is refused with ConfigError (every issue
// naming a file and a line), never with anything else. The seed is fixed so CI always feeds the same inputs;
// scripts/fuzz-long.sh sets FUZZ_SEED and FUZZ_RUNS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
/** Each property's time limit (long runs raise it). */
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };

const FILES: Record<string, string> = {
  '/etc/tunnel/inc.conf': '[included]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\ncert = /x/cert.pem\n',
  '/etc/tunnel/conf.d/a.conf': 'debug = 7\n',
  '/etc/tunnel/loop.conf': 'include = /etc/tunnel/loop.conf\n',
};

/** Parses `text` as file `fuzz.conf`; fails the property (and counts a crash) on anything but ConfigError. */
function judge(text: string): void {
  figures.inputs += 1;
  const lineCount = text.split('\n').length;
  try {
    parseConfig(text, { file: 'fuzz.conf', ...memoryFs(FILES) });
    figures.accepted += 1;
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      figures.crashes += 1;
      throw error;
    }
    assert.is(error.code, 'ERR_TUNNEL_CONFIG');
    assert.ok(error.issues.length > 0, 'a ConfigError lists at least one issue');
    for (const issue of error.issues) {
      assert.ok(issue.file === 'fuzz.conf' || issue.file in FILES, `issue names a file it read: ${issue.file}`);
      assert.ok(Number.isInteger(issue.line) && issue.line >= 0, `issue line ${issue.line}`);
      if (issue.file === 'fuzz.conf') assert.ok(issue.line <= lineCount, `issue line ${issue.line} within ${lineCount} lines`);
      assert.ok(issue.code.startsWith('ERR_TUNNEL_CONFIG_'), issue.code);
      assert.ok(issue.message.length > 0);
    }
    figures.refused += 1;
  }
}

const pieces = [
  '[',
  ']',
  '[svc]',
  '=',
  ' = ',
  ':',
  ';',
  '#',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\r',
  '\uFEFF',
  '\u0000',
  'é',
  '\u{1F600}',
  'accept',
  'connect',
  'cert',
  'key',
  'client',
  'sni',
  'include',
  'socket',
  'options',
  'sslVersion',
  'ciphers',
  'verify',
  'CAfile',
  'TIMEOUTbusy',
  'protocol',
  'protocolHost',
  'exec',
  'execArgs',
  'local',
  'pid',
  'debug',
  'a:SO_LINGER=1:60',
  'l:TCP_NODELAY=1',
  'yes',
  'no',
  '443',
  '65536',
  '-1',
  '99999999999999999999',
  '::1',
  '127.0.0.1',
  'localhost',
  '/',
  '/etc/tunnel/inc.conf',
  '/etc/tunnel/conf.d',
  '/etc/tunnel/loop.conf',
  'local0.info',
  'pgsql',
  'smtp',
  'x',
];

const soup = fc.array(fc.constantFrom(...pieces), { maxLength: 80 }).map((tokens) => tokens.join(''));
const lineOriented = fc
  .array(fc.tuple(fc.constantFrom(...pieces.filter((piece) => !/[\r\n]/.test(piece))), fc.constantFrom(...pieces), fc.boolean()), {
    maxLength: 25,
  })
  .map((lines) => lines.map(([name, value, section]) => (section ? `[${value}]` : `${name} = ${value}`)).join('\n'));

test(
  'arbitrary text is parsed or refused with ConfigError whose issues carry file and line',
  timed(() => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), soup, lineOriented), judge), {
      seed: SEED,
      numRuns: RUNS * 3,
    });
  }, LIMIT_MS),
);

const corpus = generateCorpus()
  .filter((entry) => entry.files === undefined)
  .map((entry) =>
    entry.text
      .replaceAll('@DIR@', '/tmp/fuzz')
      .replaceAll('@CERT@', '/x/cert.pem')
      .replaceAll('@KEY@', '/x/key.pem')
      .replaceAll('@COMBINED@', '/x/combined.pem')
      .replaceAll('@CA@', '/x/ca.pem')
      .replaceAll('@PSK@', '/x/psk.txt'),
  );

type Mutation =
  | { kind: 'delete-line'; at: number }
  | { kind: 'duplicate-line'; at: number }
  | { kind: 'swap-lines'; at: number; with: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replace-byte'; at: number; char: string }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...pieces), fc.string({ unit: 'binary', maxLength: 8 })),
  }),
  fc.record({ kind: fc.constant('replace-byte' as const), at: fc.nat(), char: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(text: string, change: Mutation): string {
  const lines = text.split('\n');
  const line = (at: number) => at % lines.length;
  switch (change.kind) {
    case 'delete-line':
      lines.splice(line(change.at), 1);
      return lines.join('\n');
    case 'duplicate-line':
      lines.splice(line(change.at), 0, lines[line(change.at)] ?? '');
      return lines.join('\n');
    case 'swap-lines': {
      const a = line(change.at);
      const b = line(change.with);
      [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
      return lines.join('\n');
    }
    case 'insert': {
      const at = change.at % (text.length + 1);
      return text.slice(0, at) + change.text + text.slice(at);
    }
    case 'replace-byte': {
      if (text.length === 0) return change.char;
      const at = change.at % text.length;
      return text.slice(0, at) + change.char + text.slice(at + 1);
    }
    case 'truncate':
      return text.slice(0, change.at % (text.length + 1));
  }
}

test(
  'mutated valid and invalid corpus configurations are parsed or refused with ConfigError whose issues carry file and line',
  timed(() => {
    assert.ok(corpus.length > 100, `corpus of ${corpus.length} configurations`);
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 5 }), (text, changes) =>
        judge(changes.reduce(mutate, text)),
      ),
      { seed: SEED, numRuns: RUNS * 4 },
    );
  }, LIMIT_MS),
);

test(
  'a line past the 16 KiB limit and a file past the 4 MiB limit are refused with ConfigError, not parsed',
  timed(() => {
    fc.assert(
      fc.property(fc.integer({ min: 16 * 1024 + 1, max: 20 * 1024 }), fc.constantFrom('debug = ', '[', '# '), (length, head) => {
        figures.inputs += 1;
        const error = (() => {
          try {
            parseConfig(`${head}${'x'.repeat(length)}\n`, { file: 'fuzz.conf' });
          } catch (caught) {
            return caught;
          }
          return undefined;
        })();
        assert.instance(error, ConfigError, `a ${length}-character line is refused`);
        figures.refused += 1;
      }),
      { seed: SEED, numRuns: 20 },
    );
    figures.inputs += 1;
    const huge = '# comment\n'.repeat(Math.ceil((4 * 1024 * 1024 + 1) / 10));
    const error = (() => {
      try {
        parseConfig(huge, { file: 'fuzz.conf' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.instance(error, ConfigError, 'a file over 4 MiB is refused');
    assert.is((error as ConfigError).issues[0]?.code, 'ERR_TUNNEL_CONFIG_TOO_LARGE');
    figures.refused += 1;
  }, LIMIT_MS),
);

test.after(() => {
  console.log(
    `fuzz parseConfig: seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with ConfigError, ${figures.crashes} crashes`,
  );
});

test.run();
