import { CliError } from './errors.js';

/** Where the configuration comes from. */
export type ConfigSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'fd'; readonly fd: number };

/** What the command line asks for. */
export type Command =
  | { readonly kind: 'run'; readonly source: ConfigSource }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'sockets' }
  | { readonly kind: 'options' }
  | { readonly kind: 'demo' }
  | { readonly kind: 'test'; readonly source: ConfigSource };

/**
 * The default configuration file, read when no FILE is given. stunnel uses
 * `@sysconfdir@/stunnel/stunnel.conf`; on Debian and most Linux systems that
 * is `/etc/stunnel/stunnel.conf`, so an existing installation is picked up
 * unchanged. `TUNNEL_CONF` overrides it.
 */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TUNNEL_CONF ?? '/etc/stunnel/stunnel.conf';
}

/** stunnel's Windows-only flags and what a Unix user does instead. */
const WIN32_FLAGS: Readonly<Record<string, string>> = {
  '-install': 'run tunnel from your service manager (see docs/systemd in the README)',
  '-uninstall': 'remove the unit from your service manager',
  '-start': 'start it through your service manager',
  '-stop': 'send SIGTERM to the running process',
  '-reload': 'send SIGHUP to the running process',
  '-reopen': 'send SIGUSR1 to the running process',
  '-exit': 'send SIGTERM to the running process',
  '-quiet': 'use "foreground = quiet" in the configuration',
};

const SINGLE_FLAGS: Readonly<Record<string, Command['kind']>> = {
  '-help': 'help',
  '--help': 'help',
  '-version': 'version',
  '--version': 'version',
  '-sockets': 'sockets',
  '-options': 'options',
  '-demo': 'demo',
};

/**
 * Reads the command line the way stunnel's Unix build does:
 * `tunnel [FILE] | -fd N | -help | -version | -sockets | -options`, plus our
 * `-demo`. Throws `CliError` with code `ERR_TUNNEL_USAGE` on anything else.
 */
export function parseArguments(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Command {
  const [first, second, ...rest] = argv;
  if (first === undefined) return { kind: 'run', source: { kind: 'file', path: defaultConfigPath(env) } };
  const win32 = WIN32_FLAGS[first];
  if (win32 !== undefined) {
    throw new CliError('ERR_TUNNEL_USAGE', `${first} is a Windows-only stunnel flag and has no meaning on this system: ${win32}`);
  }
  const single = SINGLE_FLAGS[first];
  if (single !== undefined) {
    if (second !== undefined) throw new CliError('ERR_TUNNEL_USAGE', `${first} takes no argument (got "${second}")`);
    return { kind: single } as Command;
  }
  if (first === '-fd') {
    if (second === undefined) throw new CliError('ERR_TUNNEL_USAGE', '-fd needs a file descriptor number');
    if (!/^\d+$/.test(second)) throw new CliError('ERR_TUNNEL_USAGE', `-fd needs a file descriptor number, not "${second}"`);
    if (rest.length > 0) throw new CliError('ERR_TUNNEL_USAGE', `unexpected argument "${rest[0]}" after -fd ${second}`);
    return { kind: 'run', source: { kind: 'fd', fd: Number(second) } };
  }
  if (first === '-test') {
    // tunnel extension: check a configuration without starting it (see config-test.ts).
    if (rest.length > 0) throw new CliError('ERR_TUNNEL_USAGE', `unexpected argument "${rest[0]}" after -test ${second}`);
    return { kind: 'test', source: { kind: 'file', path: second ?? defaultConfigPath(env) } };
  }
  if (first.startsWith('-')) throw new CliError('ERR_TUNNEL_USAGE', `unknown flag ${first}`);
  if (second !== undefined) throw new CliError('ERR_TUNNEL_USAGE', `unexpected argument "${second}" after the configuration file`);
  return { kind: 'run', source: { kind: 'file', path: first } };
}

/** The usage text printed with a usage error, in stunnel's words of its own flags. */
export const USAGE = `Usage: tunnel [FILE] | -fd N | -help | -version | -sockets | -options | -demo | -test FILE
    FILE        use the specified configuration file (default: ${defaultConfigPath({})}, or $TUNNEL_CONF)
    -fd N       read the configuration from file descriptor N
    -help       list every configuration option with a one-line description
    -version    print the version, the Node.js and OpenSSL versions, and the defaults
    -sockets    print the default socket options
    -options    print the TLS options this build supports
    -demo       start a demonstration TLS tunnel on localhost (self-signed certificate, echo backend)
    -test FILE  check FILE without starting: load every certificate, key (must match), CA and CRL file, resolve
                protocols, print the services, exit 0; or print every error (file:line: option: reason), exit 1
                (tunnel extension; nothing is bound, no pid file, no daemon)`;
