import * as assert from 'uvu/assert';
import { ConfigError, type Config, type ParseOptions, parseConfig } from '../src/index.js';

/** Parse and return the Config, or fail the test with the issues. */
export function parseOk(text: string, options: Partial<ParseOptions> = {}): Config {
  try {
    return parseConfig(text, { file: 'test.conf', ...options });
  } catch (error) {
    if (error instanceof ConfigError) assert.unreachable(`unexpected issues:\n${error.message}`);
    throw error;
  }
}

/** Parse text that must be refused; return the ConfigError after checking its code. */
export function parseFail(text: string, options: Partial<ParseOptions> = {}): ConfigError {
  try {
    parseConfig(text, { file: 'test.conf', ...options });
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.is((error as ConfigError).code, 'ERR_TUNNEL_CONFIG');
    return error as ConfigError;
  }
  return assert.unreachable('the configuration was accepted') as never;
}

/** The issue codes of a refused configuration, in order. */
export function codes(error: ConfigError): string[] {
  return error.issues.map((issue) => issue.code);
}

/** An in-memory file system for include tests: paths → contents; directories are implied by the paths. */
export function memoryFs(files: Record<string, string>): Pick<ParseOptions, 'readFile' | 'readDir'> {
  return {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    readDir: (directory) => {
      const prefix = directory.endsWith('/') ? directory : `${directory}/`;
      const names = Object.keys(files)
        .filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
        .map((path) => path.slice(prefix.length));
      if (names.length === 0 && !Object.keys(files).some((path) => path.startsWith(prefix))) {
        throw Object.assign(new Error(`ENOENT: ${directory}`), { code: 'ENOENT' });
      }
      return names;
    },
  };
}
