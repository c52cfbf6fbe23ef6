import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConfigError, ConfigIssue } from './errors.js';
import { parseConfig } from './parse.js';
import { defaultServicePorts, parseServicesFile } from './service-ports.js';
import type { Config } from './types.js';

/** Options for `loadConfig`. */
export interface LoadOptions {
  /** Where to read TCP service names for ports; default /etc/services (missing file: built-in table only). */
  servicesFile?: string;
}

function servicePorts(file: string): ReadonlyMap<string, number> {
  try {
    const ports = new Map(defaultServicePorts);
    for (const [name, port] of parseServicesFile(readFileSync(file, 'utf8'))) ports.set(name, port);
    return ports;
  } catch {
    return defaultServicePorts;
  }
}

/** The names of the regular files of a directory (stunnel skips subdirectories and other non-files). */
function listRegularFiles(directory: string): string[] {
  return readdirSync(directory).filter((name) => {
    try {
      return statSync(`${directory}/${name}`).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * `readFile`/`readDir`/`servicePorts` for `parseConfig` that read the local disk the way stunnel does (UTF-8 text; only the regular
 * files of an include directory; port names from /etc/services). For callers that read the main text themselves (e.g. -fd).
 */
export function diskReaders(servicesFile = '/etc/services'): {
  readFile: (path: string) => string;
  readDir: (path: string) => string[];
  servicePorts: ReadonlyMap<string, number>;
} {
  return { readFile: (file) => readFileSync(file, 'utf8'), readDir: listRegularFiles, servicePorts: servicePorts(servicesFile) };
}

/**
 * Read a configuration file from disk and parse it. `include` directories are read from disk too; a relative include
 * path is relative to the current directory, as in stunnel. Throws ConfigError (code ERR_TUNNEL_CONFIG) for every
 * problem, including a main file that cannot be read (issue code ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE, line 0).
 */
export async function loadConfig(path: string, options: LoadOptions = {}): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'EIO';
    throw new ConfigError(
      [new ConfigIssue({ code: 'ERR_TUNNEL_CONFIG_INCLUDE_UNREADABLE', file: path, line: 0, message: `cannot read the file: ${code}` })],
      { cause: error },
    );
  }
  return parseConfig(text, {
    file: path,
    ...diskReaders(),
    servicePorts: servicePorts(options.servicesFile ?? '/etc/services'),
  });
}
