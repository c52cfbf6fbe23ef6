import { fileURLToPath } from 'node:url';
import { type RunningProcess, run, startProcess } from '@tunnel/testkit';

/**
 * A three-namespace network built for one test file and torn down after it:
 *
 *   client ns  10.77.1.2 / fd77:1::2  ──veth──  10.77.1.1 / fd77:1::1  proxy ns  10.77.2.1 / fd77:2::1  ──veth──  10.77.2.2 / fd77:2::2  server ns
 *
 * The client and the server route through the proxy namespace, which carries the stunnel manual's
 * `transparent = source` recipe (mangle DIVERT on `-m socket`, fwmark 1 -> table 100 -> local).
 * Addresses exist only inside these namespaces, so fixed ports are safe here.
 */
export interface Lab {
  readonly client: string;
  readonly proxy: string;
  readonly server: string;
  /** Runs a command inside a namespace and returns its stdout. */
  exec(ns: string, command: string, args: readonly string[]): Promise<string>;
  /** Starts a fixture script (test/fixtures/*.mts) under Node inside a namespace. */
  start(ns: string, fixture: string, args: readonly string[]): RunningProcess;
  /** Stops every process started and deletes the namespaces (their veths and iptables rules go with them). */
  remove(): Promise<void>;
}

export async function createLab(): Promise<Lab> {
  const tag = `tnl${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  const client = `${tag}c`;
  const proxy = `${tag}p`;
  const server = `${tag}s`;
  const created: string[] = [];
  const processes: RunningProcess[] = [];
  const exec = (ns: string, command: string, args: readonly string[]) => run('ip', ['netns', 'exec', ns, command, ...args]);
  const remove = async () => {
    await Promise.all(processes.map((child) => child.stop()));
    for (const ns of created) await run('ip', ['netns', 'del', ns]).catch(() => {});
  };
  try {
    for (const ns of [client, proxy, server]) {
      await run('ip', ['netns', 'add', ns]);
      created.push(ns);
      await exec(ns, 'ip', ['link', 'set', 'lo', 'up']);
    }
    const links: [string, string, string, string][] = [
      [client, proxy, '1', `${tag}a`],
      [server, proxy, '2', `${tag}b`],
    ];
    for (const [outer, inner, net, name] of links) {
      const host = '2';
      await run('ip', ['link', 'add', `${name}o`, 'netns', outer, 'type', 'veth', 'peer', 'name', `${name}i`, 'netns', inner]);
      await exec(outer, 'ip', ['addr', 'add', `10.77.${net}.${host}/24`, 'dev', `${name}o`]);
      await exec(outer, 'ip', ['-6', 'addr', 'add', `fd77:${net}::${host}/64`, 'dev', `${name}o`, 'nodad']);
      await exec(outer, 'ip', ['link', 'set', `${name}o`, 'up']);
      await exec(outer, 'ip', ['route', 'add', 'default', 'via', `10.77.${net}.1`]);
      await exec(outer, 'ip', ['-6', 'route', 'add', 'default', 'via', `fd77:${net}::1`]);
      await exec(inner, 'ip', ['addr', 'add', `10.77.${net}.1/24`, 'dev', `${name}i`]);
      await exec(inner, 'ip', ['-6', 'addr', 'add', `fd77:${net}::1/64`, 'dev', `${name}i`, 'nodad']);
      await exec(inner, 'ip', ['link', 'set', `${name}i`, 'up']);
    }
    await exec(proxy, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    // The `transparent = source` setup from the stunnel manual, for IPv4 and IPv6.
    for (const [tables, ip, any] of [
      ['iptables', ['ip'], '0.0.0.0/0'],
      ['ip6tables', ['ip', '-6'], '::/0'],
    ] as const) {
      await exec(proxy, tables, ['-t', 'mangle', '-N', 'DIVERT']);
      await exec(proxy, tables, ['-t', 'mangle', '-A', 'PREROUTING', '-p', 'tcp', '-m', 'socket', '-j', 'DIVERT']);
      await exec(proxy, tables, ['-t', 'mangle', '-A', 'DIVERT', '-j', 'MARK', '--set-mark', '1']);
      await exec(proxy, tables, ['-t', 'mangle', '-A', 'DIVERT', '-j', 'ACCEPT']);
      await exec(proxy, ip[0], [...ip.slice(1), 'rule', 'add', 'fwmark', '1', 'lookup', '100']);
      await exec(proxy, ip[0], [...ip.slice(1), 'route', 'add', 'local', any, 'dev', 'lo', 'table', '100']);
    }
    await exec(proxy, 'sysctl', ['-q', '-w', 'net.ipv4.conf.lo.rp_filter=0', 'net.ipv4.conf.all.rp_filter=0']);
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    client,
    proxy,
    server,
    exec,
    start: (ns, fixture, args) => {
      const script = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
      const child = startProcess('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script, ...args]);
      processes.push(child);
      return child;
    },
    remove,
  };
}
