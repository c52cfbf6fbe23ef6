import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { optionRegistry } from '../src/index.js';
import { codes, parseFail, parseOk } from './helpers.js';
import { type OptionCase, optionTable } from './option-table.js';

/** Options whose behaviour needs more than one line; they have their own tests. */
const testedElsewhere = new Set(['include', 'sni']);

function configFor(entry: OptionCase, value: string): string {
  const line = `${entry.name} = ${value}`;
  if (entry.where === 'global') {
    return `${entry.extra ?? ''}\n${line}\n[s]\naccept = 443\nconnect = 80\ncert = server.pem\n`;
  }
  const accept = entry.name === 'accept' ? '' : 'accept = 443\n';
  const connect = entry.name === 'exec' ? '' : 'connect = 80\n';
  return `[s]\n${accept}${connect}cert = server.pem\n${entry.extra ?? ''}\n${line}\n`;
}

function read(entry: OptionCase, value: string): unknown {
  const config = parseOk(configFor(entry, value));
  const target = (entry.where === 'global' ? config.globals : config.services[0]) as unknown as Record<string, unknown>;
  return target[entry.name];
}

test(
  'every option of the registry has a row in the value table',
  timed(() => {
    const tabled = new Set(optionTable.map((entry) => entry.name));
    const missing = optionRegistry.map((spec) => spec.name).filter((name) => !tabled.has(name) && !testedElsewhere.has(name));
    assert.equal(missing, []);
  }, 2000),
);

for (const entry of optionTable) {
  for (const [value, expected] of entry.good) {
    test(
      `${entry.name} = "${value}" is read as ${JSON.stringify(expected)}`,
      timed(() => {
        assert.equal(read(entry, value), expected);
      }, 2000),
    );
  }
  for (const [value, code] of entry.bad) {
    test(
      `${entry.name} = "${value}" is refused with ${code}`,
      timed(() => {
        const error = parseFail(configFor(entry, value));
        assert.ok(codes(error).includes(code), codes(error).join(','));
        const issue = error.issues.find((candidate) => candidate.code === code);
        assert.is(issue?.option, entry.name);
        assert.ok(issue !== undefined && issue.line > 0);
      }, 2000),
    );
  }
}

test(
  'the 5.28 spelling curve is the same option as curves',
  timed(() => {
    const config = parseOk('[s]\naccept = 443\nconnect = 80\ncert = c.pem\ncurve = prime256v1\n');
    assert.is(config.services[0]?.curves, 'prime256v1');
    assert.equal(config.services[0]?.locations.curves, { file: 'test.conf', line: 5 });
  }, 2000),
);

test(
  'a non-repeatable option written twice keeps the last value and its location',
  timed(() => {
    const config = parseOk('[s]\naccept = 443\nconnect = 80\ncert = a.pem\ncert = b.pem\n');
    assert.is(config.services[0]?.cert, 'b.pem');
    assert.is(config.services[0]?.locations.cert?.line, 5);
  }, 2000),
);

test(
  'repeatable options keep every value in order',
  timed(() => {
    const config = parseOk(
      '[s]\naccept = 443\naccept = 8443\nconnect = a:1\nconnect = b:2\ncert = c.pem\noptions = NO_TLSv1\noptions = -NO_TLSv1_1\nOCSPflag = NOCERTS\nOCSPflag = NOTIME\nconfig = A:1\nconfig = B:2\nprotocolHeader = X: 1\nprotocolHeader = Y: 2\n',
    );
    const service = config.services[0];
    assert.equal(
      service?.accept.map((address) => (address.kind === 'tcp' ? address.port : 0)),
      [443, 8443],
    );
    assert.equal(
      service?.connect.map((address) => (address.kind === 'tcp' ? address.host : '')),
      ['a', 'b'],
    );
    assert.equal(service?.options, ['NO_TLSv1', '-NO_TLSv1_1']);
    assert.equal(service?.OCSPflag, ['NOCERTS', 'NOTIME']);
    assert.equal(service?.config, ['A:1', 'B:2']);
    assert.equal(service?.protocolHeader, ['X: 1', 'Y: 2']);
  }, 2000),
);

test(
  'a service gets the documented defaults when nothing is set',
  timed(() => {
    const config = parseOk('[s]\naccept = 443\nconnect = 80\ncert = c.pem\n');
    const service = config.services[0];
    assert.is(service?.TIMEOUTbusy, 300);
    assert.is(service?.TIMEOUTclose, 60);
    assert.is(service?.TIMEOUTconnect, 10);
    assert.is(service?.TIMEOUTidle, 43200);
    assert.is(service?.failover, 'rr');
    assert.is(service?.verify, undefined);
    assert.is(service?.sessionCacheSize, 1000);
    assert.is(service?.sessionCacheTimeout, 300);
    assert.is(service?.client, false);
    assert.is(service?.transparent, 'none');
    assert.is(service?.logId, 'sequential');
    assert.equal(service?.debug, { facility: 'daemon', level: 5 });
    assert.equal(config.globals.debug, { facility: 'daemon', level: 5 });
    assert.is(config.globals.foreground, false);
    assert.is(config.globals.syslog, true);
    assert.is(config.globals.service, 'stunnel');
  }, 2000),
);

test(
  'a syslog facility is refused in a service section',
  timed(() => {
    const error = parseFail('[s]\naccept = 443\nconnect = 80\ncert = c.pem\ndebug = local0.info\n');
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_INVALID_VALUE']);
    assert.match(error.issues[0]?.message ?? '', /global section/);
  }, 2000),
);

test(
  'a global option in a service section is refused',
  timed(() => {
    const error = parseFail('[s]\naccept = 443\nconnect = 80\ncert = c.pem\nforeground = yes\n');
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_WRONG_SECTION']);
    assert.is(error.issues[0]?.toString(), 'test.conf:5: foreground: is a global option and cannot be set in a [service] section');
  }, 2000),
);

test(
  'Windows-only options are refused naming the option, file and line',
  timed(() => {
    const error = parseFail('taskbar = yes\niconIdle = x.ico\n[s]\naccept = 443\nconnect = 80\ncert = c.pem\n');
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_WIN32_ONLY', 'ERR_TUNNEL_CONFIG_WIN32_ONLY']);
    assert.is(error.issues[0]?.toString(), 'test.conf:1: taskbar: taskbar is Windows-only and not supported on this platform');
    assert.is(error.issues[1]?.line, 2);
  }, 2000),
);

test(
  'engineCtrl and engineDefault need an engine selected before them',
  timed(() => {
    const base = '[s]\naccept = 443\nconnect = 80\ncert = c.pem\n';
    assert.equal(codes(parseFail(`engineCtrl = LOAD\n${base}`)), ['ERR_TUNNEL_CONFIG_INVALID_VALUE']);
    assert.equal(codes(parseFail(`engine = auto\nengineDefault = ALL\n${base}`)), ['ERR_TUNNEL_CONFIG_INVALID_VALUE']);
    assert.equal(parseOk(`engine = dynamic\nengineCtrl = LOAD\n${base}`).globals.engineCtrl, ['LOAD']);
  }, 2000),
);

test(
  'engineNum must name one of the engines selected in the global section',
  timed(() => {
    const service = '[s]\naccept = 443\nconnect = 80\ncert = c.pem\nengineNum = 2\n';
    assert.equal(codes(parseFail(`engine = a\n${service}`)), ['ERR_TUNNEL_CONFIG_INVALID_VALUE']);
    assert.is(parseOk(`engine = a\nengine = b\n${service}`).services[0]?.engineNum, 2);
  }, 2000),
);

test.run();
