import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, diskReaders, loadConfig, parseConfig } from '../src/index.js';
import { codes, memoryFs, parseFail, parseOk } from './helpers.js';

test(
  'include reads the files of a directory in ascending byte order, as if written in place',
  timed(() => {
    const fs = memoryFs({
      '/conf.d/b.conf': 'connect = 80\n',
      '/conf.d/B.conf': '[svc]\naccept = 443\n',
      '/conf.d/a.conf': 'cert = c.pem\n',
      '/conf.d/_x.conf': 'TIMEOUTidle = 5\n',
    });
    // Byte order: 'B' < '_' < 'a' < 'b', so [svc] opens first and the others continue it.
    const config = parseOk('include = /conf.d\n', fs);
    assert.is(config.services.length, 1);
    assert.is(config.services[0]?.cert, 'c.pem');
    assert.is(config.services[0]?.TIMEOUTidle, 5);
    assert.equal(config.files, ['test.conf', '/conf.d/B.conf', '/conf.d/_x.conf', '/conf.d/a.conf', '/conf.d/b.conf']);
    assert.equal(config.services[0]?.locations.connect, { file: '/conf.d/b.conf', line: 1 });
  }, 2000),
);

test(
  'include inside a service section continues that section',
  timed(() => {
    const fs = memoryFs({ '/inc/a.conf': 'connect = 80\ncert = c.pem\n' });
    const config = parseOk('[svc]\naccept = 443\ninclude = /inc/\n', fs);
    assert.is(config.services[0]?.cert, 'c.pem');
  }, 2000),
);

test(
  'every file name is included, whatever its suffix, as stunnel 5.68 does',
  timed(() => {
    const fs = memoryFs({
      '/inc/01.conf': '[s]\naccept = 1\nconnect = 2\ncert = c\n',
      '/inc/02.txt': 'bogus = 1\n',
      '/inc/.hidden': 'alsobogus = 1\n',
    });
    const error = parseFail('include = /inc\n', fs);
    assert.equal(
      error.issues.map((issue) => issue.toString()),
      ['/inc/.hidden:1: alsobogus: unknown option', '/inc/02.txt:1: bogus: unknown option'],
    );
  }, 2000),
);

test(
  'an include loop is refused naming the include line',
  timed(() => {
    const fs = memoryFs({ '/a/1.conf': 'include = /b\n', '/b/1.conf': 'include = /a/\n' });
    const error = parseFail('include = /a\n', fs);
    assert.equal(codes(error).slice(0, 1), ['ERR_TUNNEL_CONFIG_INCLUDE_LOOP']);
    assert.is(error.issues[0]?.toString(), '/b/1.conf:1: include: "/a/" is already being included');
  }, 2000),
);

test(
  'the same directory may be included twice one after the other',
  timed(() => {
    const fs = memoryFs({ '/inc/1.conf': 'TIMEOUTidle = 7\n' });
    const config = parseOk('include = /inc\ninclude = /inc\n[s]\naccept = 1\nconnect = 2\ncert = c\n', fs);
    assert.is(config.files.length, 3);
  }, 2000),
);

test(
  'an unreadable include directory is refused and reading goes on',
  timed(() => {
    const error = parseFail('include = /nope\nbogus = 1\n', memoryFs({}));
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE', 'ERR_TUNNEL_CONFIG_UNKNOWN_OPTION']);
    assert.match(error.issues[0]?.toString() ?? '', /^test\.conf:1: include: cannot read directory "\/nope": ENOENT$/);
  }, 2000),
);

test(
  'an unreadable included file is refused',
  timed(() => {
    const fs = memoryFs({ '/inc/a.conf': '' });
    const error = parseFail('include = /inc\n', {
      readDir: fs.readDir,
      readFile: () => {
        throw new Error('EACCES');
      },
    });
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE']);
  }, 2000),
);

test(
  'include without readDir/readFile is refused, not ignored',
  timed(() => {
    const error = parseFail('include = /inc\n');
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE']);
  }, 2000),
);

test(
  'include needs a directory',
  timed(() => {
    assert.equal(codes(parseFail('include =\n', memoryFs({}))), ['ERR_TUNNEL_CONFIG_MISSING_VALUE']);
  }, 2000),
);

test(
  'includes nested beyond the depth limit are refused',
  timed(() => {
    const files: Record<string, string> = {};
    for (let depth = 0; depth < 20; depth++) files[`/d${depth}/x.conf`] = `include = /d${depth + 1}\n`;
    files['/d20/x.conf'] = '';
    const error = parseFail('include = /d0\n', memoryFs(files));
    assert.ok(codes(error).includes('ERR_TUNNEL_CONFIG_TOO_LARGE'));
  }, 2000),
);

test(
  'loadConfig reads includes from disk, skipping subdirectories',
  timed(async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'conf.d', 'sub'), { recursive: true });
      writeFileSync(join(dir.path, 'conf.d', '10-svc.conf'), '[svc]\naccept = 443\nconnect = imaps\ncert = c.pem\n');
      writeFileSync(join(dir.path, 'conf.d', 'sub', 'x.conf'), 'bogus = 1\n');
      const main = join(dir.path, 'stunnel.conf');
      writeFileSync(main, `\uFEFFforeground = yes\r\ninclude = ${join(dir.path, 'conf.d')}\r\n`);
      const config = await loadConfig(main);
      assert.is(config.services[0]?.name, 'svc');
      assert.equal(config.services[0]?.connect, [{ kind: 'tcp', host: undefined, port: 993 }]);
      assert.is(config.globals.foreground, true);
    } finally {
      dir.remove();
    }
  }, 5000),
);

test(
  'loadConfig refuses a symlink loop between include directories',
  timed(async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'a'));
      symlinkSync(join(dir.path, 'a'), join(dir.path, 'link'));
      writeFileSync(join(dir.path, 'a', 'x.conf'), `include = ${join(dir.path, 'link')}\n`);
      const main = join(dir.path, 'stunnel.conf');
      writeFileSync(main, `include = ${join(dir.path, 'a')}\n`);
      const error = await loadConfig(main).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      assert.instance(error, ConfigError);
      assert.ok(codes(error as ConfigError).includes('ERR_TUNNEL_CONFIG_INCLUDE_LOOP'), codes(error as ConfigError).join());
    } finally {
      dir.remove();
    }
  }, 5000),
);

test(
  'loadConfig reports a missing main file as a ConfigError with the path',
  timed(async () => {
    const error = await loadConfig('/nonexistent/stunnel.conf').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.instance(error, ConfigError);
    assert.is((error as ConfigError).code, 'ERR_TUNNEL_CONFIG');
    assert.is((error as ConfigError).issues[0]?.code, 'ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE');
    assert.is((error as ConfigError).issues[0]?.toString(), '/nonexistent/stunnel.conf:0: cannot read the file: ENOENT');
  }, 2000),
);

test(
  'a readDir that lists subdirectories is tolerated: directories are skipped like stunnel does',
  timed(async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'inc', 'sub'), { recursive: true });
      writeFileSync(join(dir.path, 'inc', 'a.conf'), '[s]\naccept = 1\nconnect = 2\ncert = c\n');
      const config = parseConfig(`include = ${join(dir.path, 'inc')}\n`, {
        file: 'main.conf',
        readFile: diskReaders().readFile,
        readDir: (path) => readdirSync(path),
      });
      assert.is(config.services.length, 1);
      assert.equal(parseConfig(`include = ${join(dir.path, 'inc')}\n`, { file: 'main.conf', ...diskReaders() }).files.length, 2);
    } finally {
      dir.remove();
    }
  }, 5000),
);

test(
  'parseConfig with a custom port table resolves names from it',
  timed(() => {
    const config = parseConfig('[s]\naccept = myport\nconnect = 1\ncert = c\n', { file: 'x', servicePorts: new Map([['myport', 4242]]) });
    assert.equal(config.services[0]?.accept, [{ kind: 'tcp', host: undefined, port: 4242 }]);
  }, 2000),
);

test.run();
