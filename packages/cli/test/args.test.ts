import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArguments } from '../src/args.js';

const cases: Array<[string[], unknown]> = [
  [[], { kind: 'run', source: { kind: 'file', path: '/etc/stunnel/stunnel.conf' } }],
  [['my.conf'], { kind: 'run', source: { kind: 'file', path: 'my.conf' } }],
  [['-fd', '7'], { kind: 'run', source: { kind: 'fd', fd: 7 } }],
  [['-help'], { kind: 'help' }],
  [['--help'], { kind: 'help' }],
  [['-version'], { kind: 'version' }],
  [['-sockets'], { kind: 'sockets' }],
  [['-options'], { kind: 'options' }],
  [['-demo'], { kind: 'demo' }],
];

for (const [argv, expected] of cases) {
  test(`"tunnel ${argv.join(' ')}" means ${JSON.stringify(expected)}`, () => {
    assert.equal(parseArguments(argv, {}), expected);
  });
}

test('TUNNEL_CONF replaces the default configuration path', () => {
  assert.equal(parseArguments([], { TUNNEL_CONF: '/srv/t.conf' }), { kind: 'run', source: { kind: 'file', path: '/srv/t.conf' } });
});

const refused: Array<[string[], RegExp]> = [
  [['-install'], /-install is a Windows-only stunnel flag/],
  [['-reload'], /SIGHUP/],
  [['-quiet'], /Windows-only/],
  [['-fd'], /needs a file descriptor number/],
  [['-fd', 'x'], /not "x"/],
  [['-fd', '3', 'extra'], /unexpected argument "extra"/],
  [['-bogus'], /unknown flag -bogus/],
  [['a.conf', 'b.conf'], /unexpected argument "b.conf"/],
  [['-version', 'x'], /takes no argument/],
];

for (const [argv, message] of refused) {
  test(`"tunnel ${argv.join(' ')}" is refused with ERR_TUNNEL_USAGE`, () => {
    try {
      parseArguments(argv, {});
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_USAGE');
      assert.match((error as Error).message, message);
    }
  });
}

test.run();
