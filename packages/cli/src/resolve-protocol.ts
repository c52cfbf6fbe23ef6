import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROTOCOL_CONTRACT_VERSION, type Protocol } from '@tunnel/protocol';
import { CliError } from './errors.js';

/** Where third-party plugins are looked up, in order. */
export interface ResolveOptions {
  /** Loaders of the built-in protocol modules by `protocol =` name. */
  readonly builtins: ReadonlyMap<string, () => Promise<{ protocol?: unknown }>>;
  /** Directories whose node_modules are searched (the config file's directory, the working directory). */
  readonly searchFrom: readonly string[];
  /** Directory relative paths are resolved against (the config file's directory). */
  readonly baseDir: string;
}

/**
 * The package name a `protocol = NAME` line loads when NAME is not built in:
 * `ldap` → `tunnel-protocol-ldap`, `@acme/ldap` → `@acme/tunnel-protocol-ldap`.
 */
export function pluginPackageName(name: string): string {
  const scoped = name.match(/^(@[^/]+)\/(.+)$/);
  return scoped ? `${scoped[1]}/tunnel-protocol-${scoped[2]}` : `tunnel-protocol-${name}`;
}

/**
 * Resolves `protocol = NAME` to a plugin value: a built-in protocol first,
 * then an installed package `tunnel-protocol-NAME` (searched from the config
 * file's directory, the working directory, then beside the tunnel command
 * itself, which covers global installs), then a file path (`./x.js`,
 * `/abs/x.js`). The module must export a named `protocol`; its contract
 * version and shape are checked here, once.
 */
export async function resolveProtocol(name: string, options: ResolveOptions): Promise<Protocol> {
  const builtin = options.builtins.get(name.toLowerCase());
  if (builtin !== undefined) return checkPlugin(name, (await builtin()).protocol, `built-in protocol ${name.toLowerCase()}`);

  const isPath = name.startsWith('.') || isAbsolute(name);
  const specifier = isPath ? resolve(options.baseDir, name) : pluginPackageName(name);
  const location = isPath ? specifier : locatePackage(specifier, options.searchFrom);
  if (location === undefined) {
    const known = [...options.builtins.keys()].sort().join(', ');
    throw new CliError(
      'ERR_TUNNEL_PROTOCOL_UNKNOWN',
      `unknown protocol "${name}": not built in (${known}) and no package ${specifier} is installed (npm install ${specifier})`,
    );
  }
  let module: { protocol?: unknown };
  try {
    module = (await import(pathToFileURL(location).href)) as { protocol?: unknown };
  } catch (error) {
    throw new CliError('ERR_TUNNEL_PROTOCOL_LOAD', `protocol "${name}": cannot load ${location}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return checkPlugin(name, module.protocol, location);
}

function locatePackage(specifier: string, searchFrom: readonly string[]): string | undefined {
  for (const directory of searchFrom) {
    try {
      return createRequire(join(directory, 'noop.js')).resolve(specifier);
    } catch {}
  }
  try {
    return createRequire(import.meta.url).resolve(specifier);
  } catch {
    return undefined;
  }
}

/** Checks a loaded plugin value against the contract, with an error that tells its author what is wrong. */
export function checkPlugin(name: string, value: unknown, where: string): Protocol {
  const fail = (why: string) => new CliError('ERR_TUNNEL_PROTOCOL_INVALID', `protocol "${name}" (${where}) ${why}`);
  if (typeof value !== 'object' || value === null) throw fail('does not export a named `protocol` object');
  const plugin = value as Partial<Protocol>;
  if (typeof plugin.name !== 'string' || plugin.name === '') throw fail('has no `name`');
  if (typeof plugin.contract !== 'number') throw fail('has no numeric `contract` version');
  if (Math.trunc(plugin.contract) !== PROTOCOL_CONTRACT_VERSION) {
    throw new CliError(
      'ERR_TUNNEL_PROTOCOL_CONTRACT',
      `protocol "${name}" (${where}) was written for plugin contract ${plugin.contract}, and this tunnel implements contract ${PROTOCOL_CONTRACT_VERSION}`,
    );
  }
  if (!Array.isArray(plugin.modes) || plugin.modes.length === 0 || plugin.modes.some((mode) => mode !== 'client' && mode !== 'server')) {
    throw fail('must list its `modes` (client, server)');
  }
  for (const hook of ['preConnect', 'preTls', 'postTls'] as const) {
    if (plugin[hook] !== undefined && typeof plugin[hook] !== 'function') throw fail(`has a \`${hook}\` that is not a function`);
  }
  return plugin as Protocol;
}
