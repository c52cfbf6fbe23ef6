import { AF_INET, AF_INET6, IPPROTO_TCP, SOCK_CLOEXEC, SOCK_STREAM } from './constants.js';
import { syscallError } from './errors.js';
import { libc } from './libc.js';
import {
  formatSocketOptionValue,
  getSocketOption,
  type SocketOptionName,
  type SocketOptionValue,
  socketOptionTable,
} from './socket-options.js';

/** One row of `tunnel -sockets`: the value tunnel sets on each kind of socket (undefined: left alone) and the OS default. */
export interface SocketOptionDefaults {
  readonly name: SocketOptionName;
  readonly accept: SocketOptionValue | undefined;
  readonly local: SocketOptionValue | undefined;
  readonly remote: SocketOptionValue | undefined;
  readonly osDefault: SocketOptionValue;
}

/**
 * What stunnel itself sets unless `socket =` says otherwise (stunnel 5.68 `-sockets`): address reuse on
 * listeners, and Nagle off on both data sockets so interactive protocols are not delayed. A caller that
 * applies different defaults passes its own table to {@link listSocketOptions}.
 */
export const stunnelSocketDefaults: Readonly<
  Partial<Record<SocketOptionName, Partial<Record<'accept' | 'local' | 'remote', SocketOptionValue>>>>
> = {
  SO_REUSEADDR: { accept: true },
  TCP_NODELAY: { local: true, remote: true },
};

/**
 * Reads the OS default of every option from fresh, unconnected TCP sockets (IPv4, and IPv6 for IPV6_*),
 * as `stunnel -sockets` does, and pairs it with the values tunnel applies itself.
 */
export function listSocketOptions(defaults = stunnelSocketDefaults): SocketOptionDefaults[] {
  const c = libc('listing socket options');
  const fds = new Map<number, number>();
  const socketFor = (domain: number): number => {
    let fd = fds.get(domain);
    if (fd === undefined) {
      fd = c.socket(domain, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
      if (fd < 0) throw syscallError('socket', c.errno(), 'creating a socket to read option defaults');
      fds.set(domain, fd);
    }
    return fd;
  };
  try {
    return socketOptionTable().map((info) => {
      const fd = socketFor(info.family === 'IPv6' ? AF_INET6 : AF_INET);
      const own = defaults[info.name] ?? {};
      return { name: info.name, accept: own.accept, local: own.local, remote: own.remote, osDefault: getSocketOption(fd, info.name) };
    });
  } finally {
    for (const fd of fds.values()) c.close(fd);
  }
}

function cell(value: SocketOptionValue | undefined): string {
  return value === undefined ? '    --    ' : formatSocketOptionValue(value).padStart(10);
}

/** Formats rows exactly like the "Socket option defaults" table of `stunnel -sockets`. */
export function formatSocketOptions(rows: readonly SocketOptionDefaults[]): string {
  const lines = [
    'Socket option defaults:',
    '    Option Name         |  Accept  |   Local  |  Remote  |OS default',
    '    --------------------+----------+----------+----------+----------',
    ...rows.map((row) => `    ${row.name.padEnd(20)}|${cell(row.accept)}|${cell(row.local)}|${cell(row.remote)}|${cell(row.osDefault)}`),
  ];
  return `${lines.join('\n')}\n`;
}
