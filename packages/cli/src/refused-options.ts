import type { ServiceConfig } from '@tunnel/config-parser';

/**
 * Service-level options this build refuses, with the reason the user reads.
 * An option is refused only when it asks for something (a value other than
 * its harmless default), so `libwrap = no` passes while `libwrap = yes` is an
 * error. Nothing is ever accepted and silently ignored. The README's option
 * table lists the same states.
 */
const REFUSED: Readonly<Record<string, { readonly when: (service: ServiceConfig) => boolean; readonly why: string }>> = {
  engineId: {
    when: () => true,
    why: 'OpenSSL engines are not reachable from Node.js TLS (OpenSSL 3 deprecated engines); use a PEM key file',
  },
  engineNum: {
    when: () => true,
    why: 'OpenSSL engines are not reachable from Node.js TLS (OpenSSL 3 deprecated engines); use a PEM key file',
  },
  CAengine: { when: (s) => s.CAengine.length > 0, why: 'OpenSSL engines are not reachable from Node.js TLS; use CAfile or CApath' },
  config: {
    when: (s) => s.config.length > 0,
    why: 'OpenSSL SSL_CONF commands are not supported yet; use ciphers, ciphersuites, curves and sslVersionMin/Max',
  },
  PSKsecrets: { when: () => true, why: 'TLS-PSK is not supported yet' },
  PSKidentity: { when: () => true, why: 'TLS-PSK is not supported yet' },
  sessiond: { when: () => true, why: 'a shared session cache server is not supported yet' },
  sessionCacheSize: {
    when: (s) => s.sessionCacheSize !== 1000,
    why: "Node.js does not bound OpenSSL's session cache size; only the default (1000) is accepted",
  },
  sessionResume: { when: (s) => !s.sessionResume, why: 'turning session resumption off is not supported yet' },
  ticketKeySecret: { when: () => true, why: 'shared session ticket keys are not supported yet' },
  ticketMacSecret: { when: () => true, why: 'shared session ticket keys are not supported yet' },
  exec: { when: () => true, why: 'running a program per connection is not supported yet; use connect' },
  execArgs: { when: () => true, why: 'running a program per connection is not supported yet; use connect' },
  pty: { when: (s) => s.pty, why: 'running a program per connection is not supported yet' },
  retry: { when: (s) => s.retry, why: 'running a program per connection is not supported yet' },
  libwrap: { when: (s) => s.libwrap, why: 'TCP-wrappers access control is not supported yet' },
  ident: { when: () => true, why: 'ident (RFC 1413) checks are not supported yet' },
  transparent: { when: (s) => s.transparent !== 'none', why: 'transparent proxying is not supported yet' },
  socket: { when: (s) => s.socket.length > 0, why: 'socket options are not supported yet' },
  setuid: { when: () => true, why: 'owner changes of Unix accept sockets are not supported yet' },
  setgid: { when: () => true, why: 'group changes of Unix accept sockets are not supported yet' },
};

/** The reason `option` is refused for `service`, or undefined when this build carries it out. */
export function refusalOf(option: string, service: ServiceConfig): string | undefined {
  const rule = REFUSED[option];
  return rule?.when(service) ? rule.why : undefined;
}
