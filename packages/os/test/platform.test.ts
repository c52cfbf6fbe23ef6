import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertLinux, errnoName, OsError } from '../src/index.js';

function withPlatform(platform: string, arch: string, run: () => void): void {
  const saved = { platform: process.platform, arch: process.arch };
  Object.defineProperty(process, 'platform', { value: platform });
  Object.defineProperty(process, 'arch', { value: arch });
  try {
    run();
  } finally {
    Object.defineProperty(process, 'platform', { value: saved.platform });
    Object.defineProperty(process, 'arch', { value: saved.arch });
  }
}

for (const [platform, arch] of [
  ['darwin', 'arm64'],
  ['win32', 'x64'],
  ['freebsd', 'x64'],
  ['linux', 'mips'],
  ['linux', 'ppc64'],
  ['linux', 's390x'],
]) {
  test(`${platform}/${arch} is refused with ERR_TUNNEL_OS_UNSUPPORTED_PLATFORM`, () => {
    withPlatform(platform as string, arch as string, () => {
      try {
        assertLinux('chroot');
        assert.unreachable('should throw');
      } catch (error) {
        assert.instance(error, OsError);
        assert.is((error as OsError).code, 'ERR_TUNNEL_OS_UNSUPPORTED_PLATFORM');
        assert.match((error as OsError).message, /^chroot is /);
      }
    });
  });
}

test('linux/x64 and linux/arm64 are accepted', () => {
  withPlatform('linux', 'x64', () => assertLinux('x'));
  withPlatform('linux', 'arm64', () => assertLinux('x'));
});

test('errno numbers get their symbolic names, unknown ones a numeric name', () => {
  assert.is(errnoName(1), 'EPERM');
  assert.is(errnoName(111), 'ECONNREFUSED');
  assert.is(errnoName(99999), 'E99999');
});

test.run();
