import type { ServiceConfig } from '@tunnel/config-parser';
import type { PeerVerifier } from '@tunnel/core';
import { createPeerVerifier } from '@tunnel/verify';

/**
 * The certificate policy of one service (`verify`, `CAfile`, `CApath`,
 * `CRLfile`, `CRLpath`, `checkHost`, `checkEmail`, `checkIP`, `OCSP*`), or
 * undefined when the service asks for none (stunnel's default: no
 * verification, no client certificate requested).
 */
export async function createServiceVerifier(service: ServiceConfig): Promise<PeerVerifier | undefined> {
  const asksForPolicy =
    service.verify !== undefined ||
    service.checkHost.length > 0 ||
    service.checkEmail.length > 0 ||
    service.checkIP.length > 0 ||
    service.OCSP !== undefined ||
    service.OCSPaia;
  if (!asksForPolicy) return undefined;
  return createPeerVerifier({
    verify: service.verify,
    CAfile: service.CAfile,
    CApath: service.CApath,
    CRLfile: service.CRLfile,
    CRLpath: service.CRLpath,
    checkHost: service.checkHost,
    checkEmail: service.checkEmail,
    checkIP: service.checkIP,
    OCSP: service.OCSP,
    OCSPaia: service.OCSPaia,
    OCSPflag: service.OCSPflag,
    OCSPnonce: service.OCSPnonce,
  });
}
