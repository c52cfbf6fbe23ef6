import { statSync } from 'node:fs';
import type { ServiceConfig } from '@tunnel/config-parser';
import { verifyLevelOf } from './verifier.js';

/**
 * Risky settings the manual allows but an operator should hear about at
 * start: a client-mode service that does not verify the server (anyone on the
 * path can impersonate it), and a private key file that other users can read.
 */
export function securityWarnings(services: readonly ServiceConfig[]): string[] {
  const warnings: string[] = [];
  for (const service of services) {
    let level: ServiceConfig['verify'];
    try {
      level = verifyLevelOf(service);
    } catch {
      level = service.verify;
    }
    if (service.client && (level === undefined || level === 0)) {
      warnings.push(
        `Service [${service.name}]: client mode without certificate verification: the server is not authenticated ` +
          '(set verify = 2 with CAfile and checkHost, or verify = 3/4 with the server certificate)',
      );
    }
    const keyFile = service.key ?? service.cert;
    if (keyFile !== undefined) {
      try {
        const mode = statSync(keyFile).mode;
        if ((mode & 0o077) !== 0) {
          warnings.push(
            `Service [${service.name}]: the private key file ${keyFile} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
          );
        }
      } catch {}
    }
  }
  return warnings;
}
