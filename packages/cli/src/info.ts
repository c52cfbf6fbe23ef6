import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION } from 'node:tls';
import { describeOptions, optionRegistry } from '@tunnel/config-parser';
import { constants } from 'node:crypto';
import { formatSocketOptions, listSocketOptions } from '@tunnel/os';
import { BUILTIN_PROTOCOL_NAMES } from './builtins.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The banner stunnel prints first: program, version, platform, library versions, features. */
export function banner(): string {
  return [
    `tunnel ${version} (stunnel 5.28 compatible) on ${arch()}-${platform()} platform`,
    `Running  with Node.js ${process.version}, OpenSSL ${process.versions.openssl}`,
    `Sockets:IPv6,UNIX TLS:OCSP,SNI,ALPN Auth:VERIFY Protocols:${BUILTIN_PROTOCOL_NAMES.join(',')}`,
  ].join('\n');
}

/** `tunnel -version`: the banner and the defaults in force, as `stunnel -version` prints them. */
export function versionText(): string {
  const defaults = optionRegistry
    .filter((spec) => spec.default !== undefined && spec.scope !== 'global')
    .map((spec) => `${spec.name.padEnd(22)} = ${spec.default}`);
  return [
    banner(),
    ' ',
    'Global options:',
    ...optionRegistry
      .filter((spec) => spec.default !== undefined && spec.scope === 'global')
      .map((spec) => `${spec.name.padEnd(22)} = ${spec.default}`),
    ' ',
    'Service-level options:',
    `${'ciphers'.padEnd(22)} = ${DEFAULT_CIPHERS} (Node.js default)`,
    `${'curves'.padEnd(22)} = ${DEFAULT_ECDH_CURVE} (Node.js default)`,
    `${'sslVersionMin'.padEnd(22)} = ${DEFAULT_MIN_VERSION}`,
    `${'sslVersionMax'.padEnd(22)} = ${DEFAULT_MAX_VERSION}`,
    ...defaults,
    '',
  ].join('\n');
}

/** `tunnel -help`: every configuration option with a one-line description. */
export function helpText(): string {
  return `${banner()}\n \n${describeOptions()}`;
}

/** `tunnel -options`: the TLS options (`options =` names) this build supports. */
export function optionsText(): string {
  return [banner(), ' ', 'Supported TLS options:', ...supportedSslOptions().map((name) => `options = ${name}`), ''].join('\n');
}

/** `tunnel -sockets`: the socket options with tunnel's defaults and the OS defaults read from real sockets. */
export function socketsText(): string {
  return `${banner()}\n \n${formatSocketOptions(listSocketOptions())}\n`;
}

/** The `options =` names: OpenSSL's SSL_OP_* constants that Node.js exposes, without the prefix. */
function supportedSslOptions(): string[] {
  return Object.keys(constants)
    .filter((key) => key.startsWith('SSL_OP_'))
    .map((key) => key.slice('SSL_OP_'.length))
    .sort();
}
