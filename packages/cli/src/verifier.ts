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
  const verify = verifyLevelOf(service);
  const asksForPolicy =
    verify !== undefined ||
    service.checkHost.length > 0 ||
    service.checkEmail.length > 0 ||
    service.checkIP.length > 0 ||
    service.OCSP !== undefined ||
    service.OCSPaia ||
    !service.OCSPrequire ||
    service.TIMEOUTocsp !== undefined ||
    service.allowPeer.length > 0 ||
    service.denyPeer.length > 0;
  if (!asksForPolicy) return undefined;
  return createPeerVerifier({
    verify,
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
    OCSPrequire: service.OCSPrequire,
    TIMEOUTocsp: service.TIMEOUTocsp,
    allowPeer: service.allowPeer,
    denyPeer: service.denyPeer,
  });
}

/**
 * stunnel 5.68 splits `verify = N` into `requireCert`, `verifyChain` and
 * `verifyPeer` (level 1 = chain; 2 = chain + require; 3 = chain + peer +
 * require; 4 = peer + require). Written with those names, the service gets the
 * level they spell; a combination no level expresses, or one mixed with
 * `verify`, is refused rather than guessed.
 */
export function verifyLevelOf(service: ServiceConfig): ServiceConfig['verify'] {
  const split = ['requireCert', 'verifyChain', 'verifyPeer'].filter((option) => service.locations[option] !== undefined);
  if (split.length === 0) return service.verify;
  if (service.verify !== undefined) {
    throw Object.assign(new Error(`use either verify or ${split.join('/')}, not both`), {
      option: split[0],
      code: 'ERR_TUNNEL_VERIFY_OPTION',
    });
  }
  const { requireCert, verifyChain, verifyPeer } = service;
  if (!requireCert && !verifyChain && !verifyPeer) return undefined;
  if (verifyChain && !verifyPeer) return requireCert ? 2 : 1;
  if (verifyChain && verifyPeer && requireCert) return 3;
  if (!verifyChain && verifyPeer && requireCert) return 4;
  throw Object.assign(
    new Error(
      `requireCert = ${yesNo(requireCert)}, verifyChain = ${yesNo(verifyChain)}, verifyPeer = ${yesNo(verifyPeer)} is a combination no verify level carries out; ` +
        'use verifyChain (+ requireCert), or verifyPeer with requireCert',
    ),
    { option: split[0], code: 'ERR_TUNNEL_VERIFY_OPTION' },
  );
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
