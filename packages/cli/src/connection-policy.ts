import type { Socket } from 'node:net';
import { checkAccess } from '@tunnel/access';
import type { ServiceConfig, SocketOption } from '@tunnel/config-parser';
import type { ConnectionHooks } from '@tunnel/core';
import { checkIdent, identEndpoints } from '@tunnel/ident';
import { connectSocket, listenSocket, parseSocketOptionValue, type SocketOptionValue, setSocketOption, socketFd } from '@tunnel/os';
import { connectAsClient, originalDestinationOf, usesOriginalDestination, usesSourceAddress } from '@tunnel/transparent';

/** Where the TCP-wrappers tables are read; the environment can point elsewhere (tests, containers). */
export interface PolicyEnvironment {
  readonly hostsAllow: string;
  readonly hostsDeny: string;
  /** identd port on the client host (113 unless a test says otherwise). */
  readonly identPort: number;
}

export function policyEnvironment(env: NodeJS.ProcessEnv = process.env): PolicyEnvironment {
  return {
    hostsAllow: env.TUNNEL_HOSTS_ALLOW ?? '/etc/hosts.allow',
    hostsDeny: env.TUNNEL_HOSTS_DENY ?? '/etc/hosts.deny',
    identPort: Number(env.TUNNEL_IDENT_PORT ?? 113),
  };
}

type OsOption = { readonly name: string; readonly value: SocketOptionValue };

/** `socket = a|l|r:OPTION=VALUE` lines of one side, as `@tunnel/os` takes them (the config parser checked the syntax). */
export function socketOptionsFor(options: readonly SocketOption[], side: SocketOption['side']): OsOption[] {
  return options
    .filter((option) => option.side === side)
    .map((option) => ({
      name: option.option,
      value: parseSocketOptionValue(option.option, Array.isArray(option.value) ? option.value.join(':') : option.value),
    }));
}

/**
 * The per-connection policy of a service as core hooks: `libwrap` and
 * `ident` decide admission, `socket = l:` options go on the accepted socket,
 * `transparent = destination` replaces the target, `transparent = source` and
 * `socket = r:` shape the upstream socket, `socket = a:` the listener. A
 * service that asks for none of these gets no hooks (core's plain path).
 */
export function connectionHooks(service: ServiceConfig, environment: PolicyEnvironment): ConnectionHooks | undefined {
  const local = socketOptionsFor(service.socket, 'l');
  const remote = socketOptionsFor(service.socket, 'r');
  const listen = socketOptionsFor(service.socket, 'a');
  const daemon = service.name;
  const admits = service.libwrap || service.ident !== undefined || local.length > 0 || usesOriginalDestination(service.transparent);
  const hooks: { -readonly [K in keyof ConnectionHooks]: ConnectionHooks[K] } = {};

  if (admits) {
    hooks.admit = async (socket: Socket, { signal }) => {
      const fd = local.length > 0 ? socketFd(socket) : -1;
      for (const option of local) setSocketOption(fd, option.name, option.value);
      if (service.libwrap) {
        const decision = await checkAccess({
          daemon,
          address: unmapped(socket.remoteAddress ?? ''),
          files: { allow: environment.hostsAllow, deny: environment.hostsDeny },
          signal,
        });
        if (!decision.allowed) throw refused('ERR_TUNNEL_LIBWRAP_DENIED', `libwrap: access denied by ${describeRule(decision)}`);
      }
      if (service.ident !== undefined) {
        await checkIdent({ ...identEndpoints(socket), username: service.ident, port: environment.identPort, signal });
      }
      if (usesOriginalDestination(service.transparent)) {
        const original = originalDestinationOf(socket);
        return { host: original.address, port: original.port };
      }
      return undefined;
    };
  }
  if (usesSourceAddress(service.transparent) || remote.length > 0) {
    hooks.openUpstream = async (address, { client, local: localAddress, signal }) => {
      if (usesSourceAddress(service.transparent)) {
        return connectAsClient({
          client: client as Socket,
          host: address.host,
          port: address.port,
          options: remote,
          signal,
          allowHalfOpen: true,
        });
      }
      return connectSocket({
        host: address.host,
        port: address.port,
        ...(localAddress === undefined ? {} : { localAddress }),
        options: [{ name: 'TCP_NODELAY', value: true }, ...remote],
        signal,
        allowHalfOpen: true,
      });
    };
  }
  if (listen.length > 0) {
    hooks.listen = (server, address) => listenSocket(server, { host: address.host, port: address.port, options: listen });
  }
  return Object.keys(hooks).length === 0 ? undefined : hooks;
}

function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function describeRule(decision: { rule: { file: string; line: number } | undefined }): string {
  return decision.rule === undefined ? 'a table that could not be used' : `${decision.rule.file}:${decision.rule.line}`;
}

function refused(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
