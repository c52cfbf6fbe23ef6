import { setFips } from 'node:crypto';
import type { Config, Location } from '@tunnel/config-parser';
import type { LogLevel } from '@tunnel/core';
import type { SetupIssue } from './setup-error.js';

/** Where a global option was written; the parser records it per option. */
function locate(config: Config, option: string): Location {
  const recorded = (config.globals as { locations?: Record<string, Location> }).locations?.[option];
  return recorded ?? { file: config.files[0] ?? 'configuration', line: 1 };
}

const ENGINE_WHY = 'OpenSSL engines are not reachable from Node.js TLS (OpenSSL 3 deprecated engines); use PEM files';

/** Global options this build refuses, each with file:line. */
export function globalRefusals(config: Config): SetupIssue[] {
  const issues: SetupIssue[] = [];
  const refuse = (option: string, message: string) => {
    const where = locate(config, option);
    issues.push({ code: 'ERR_TUNNEL_OPTION_REFUSED', file: where.file, line: where.line, option, message });
  };
  const { globals } = config;
  if (globals.engine !== undefined) refuse('engine', ENGINE_WHY);
  if (globals.engineCtrl.length > 0) refuse('engineCtrl', ENGINE_WHY);
  if (globals.engineDefault !== undefined) refuse('engineDefault', ENGINE_WHY);
  if (globals.socket.length > 0) refuse('socket', 'socket options are not supported yet');
  return issues;
}

/**
 * Carries out the global options that act once at start-up, before any
 * listener: `fips`, and the random-seed options that OpenSSL 3 replaced.
 */
export function applyGlobalEffects(config: Config, say: (level: LogLevel, message: string) => void): void {
  const { globals } = config;
  if (globals.fips) {
    try {
      setFips(true);
    } catch (error) {
      throw Object.assign(
        new Error(
          `${format(locate(config, 'fips'))}: fips: FIPS mode is not available in this Node.js/OpenSSL build (${(error as Error).message})`,
        ),
        {
          code: 'ERR_TUNNEL_FIPS_UNAVAILABLE',
        },
      );
    }
  }
  for (const option of ['RNDbytes', 'RNDfile', 'EGD'] as const) {
    if (globals[option] !== undefined) {
      say(
        5,
        `${option}: replaced: OpenSSL 3 seeds its generator from the operating system (getrandom); no seed file or EGD socket is read`,
      );
    }
  }
}

function format(location: Location): string {
  return `${location.file}:${location.line}`;
}
