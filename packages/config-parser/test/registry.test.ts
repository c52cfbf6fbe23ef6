import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeOptions, findOption, optionRegistry } from '../src/index.js';

test(
  'the registry holds every option of the 5.28 manual',
  timed(() => {
    const spec528 = [
      'chroot',
      'compression',
      'debug',
      'EGD',
      'engine',
      'engineCtrl',
      'engineDefault',
      'fips',
      'foreground',
      'iconActive',
      'iconError',
      'iconIdle',
      'log',
      'output',
      'pid',
      'RNDbytes',
      'RNDfile',
      'RNDoverwrite',
      'service',
      'socket',
      'syslog',
      'taskbar',
      'accept',
      'CApath',
      'CAfile',
      'cert',
      'checkEmail',
      'checkHost',
      'checkIP',
      'ciphers',
      'client',
      'config',
      'connect',
      'CRLpath',
      'CRLfile',
      'curve',
      'logId',
      'delay',
      'engineId',
      'engineNum',
      'exec',
      'execArgs',
      'failover',
      'ident',
      'include',
      'key',
      'libwrap',
      'local',
      'sni',
      'OCSP',
      'OCSPaia',
      'OCSPflag',
      'OCSPnonce',
      'options',
      'protocol',
      'protocolAuthentication',
      'protocolDomain',
      'protocolHost',
      'protocolPassword',
      'protocolUsername',
      'PSKidentity',
      'PSKsecrets',
      'pty',
      'redirect',
      'renegotiation',
      'reset',
      'retry',
      'setgid',
      'setuid',
      'sessionCacheSize',
      'sessionCacheTimeout',
      'sessiond',
      'sslVersion',
      'stack',
      'TIMEOUTbusy',
      'TIMEOUTclose',
      'TIMEOUTconnect',
      'TIMEOUTidle',
      'transparent',
      'verify',
    ];
    assert.equal(
      spec528.filter((name) => findOption(name) === undefined),
      [],
    );
  }, 2000),
);

test(
  'option names are found case-insensitively and names are unique',
  timed(() => {
    assert.is(findOption('timeoutBUSY')?.name, 'TIMEOUTbusy');
    assert.is(findOption('CURVE')?.name, 'curves');
    const names = optionRegistry.map((spec) => spec.name.toLowerCase());
    assert.is(new Set(names).size, names.length);
  }, 2000),
);

test(
  'registry entries state the spec defaults and platforms',
  timed(() => {
    assert.is(findOption('TIMEOUTbusy')?.default, '300');
    assert.is(findOption('TIMEOUTclose')?.default, '60');
    assert.is(findOption('TIMEOUTidle')?.default, '43200');
    assert.is(findOption('failover')?.default, 'rr');
    assert.is(findOption('verify')?.default, 'none');
    assert.is(findOption('sessionCacheSize')?.default, '1000');
    assert.equal(
      optionRegistry.filter((spec) => spec.platform === 'win32').map((spec) => spec.name),
      ['iconActive', 'iconError', 'iconIdle', 'taskbar'],
    );
    assert.ok(optionRegistry.every((spec) => spec.description.length > 0 && spec.syntax.length > 0));
    assert.ok(optionRegistry.filter((spec) => spec.since === '5.68').length >= 12);
  }, 2000),
);

test(
  'describeOptions lists global and service options with their notes',
  timed(() => {
    const text = describeOptions();
    assert.match(text, /^Global options:\n/);
    assert.match(text, /\nService-level options:\n/);
    assert.match(text, /TIMEOUTbusy += {1,2}SECONDS\n +time to wait for expected data \(default: 300\)/);
    assert.match(text, /taskbar .*\n.*Windows only: refused/);
    assert.match(text, /sslVersionMin .*\n.*since 5\.68/);
    for (const spec of optionRegistry) assert.ok(text.includes(`${spec.name} `), spec.name);
  }, 2000),
);

test.run();
