import type { ConfigIssueCode } from './errors.js';
import type { Location, ServiceConfig } from './types.js';

/** A problem found in a built service, before it becomes a ConfigIssue. */
export interface Finding {
  code: ConfigIssueCode;
  location: Location;
  option: string | undefined;
  message: string;
}

/** What the checks need to know beyond the service itself. */
export interface CheckContext {
  /** The configuration has no section: the service is the single inetd-mode one. */
  inetd: boolean;
  /** Engines selected in the global section (`engine = ENGINE_ID`, not 'auto'). */
  engineCount: number;
}

/**
 * The checks stunnel 5.68 makes when it loads a service and that depend only on the text (no files, users or DNS).
 * Each finding points at the option at fault, or at the section header.
 */
export function checkService(service: ServiceConfig, context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const at = service.location;
  const found = (code: ConfigIssueCode, option: string | undefined, message: string): void => {
    findings.push({ code, location: (option === undefined ? undefined : service.locations[option]) ?? at, option, message });
  };
  const where = context.inetd ? 'inetd mode' : `service [${service.name}]`;

  // stunnel: "Each service must define two endpoints" — the accepting side (accept, or sni for a secondary service)
  // and the target side (connect, transparent destination, exec); exec plus connect is also a pair. A socks server
  // picks its upstream from the SOCKS request, so it is the target side by itself. inetd mode has one endpoint.
  const slave = service.sni?.kind === 'slave';
  const socksServer = !service.client && service.protocol === 'socks';
  const hasTarget = service.connect.length > 0 || service.transparent === 'destination' || service.transparent === 'both';
  const endpoints =
    Number(service.accept.length > 0) + Number(slave) + Number(hasTarget) + Number(service.exec !== undefined) + Number(socksServer);
  if (context.inetd && endpoints !== 1) {
    findings.push({
      code: 'ERR_TUNNEL_CONFIG_ENDPOINTS',
      location: at,
      option: undefined,
      message: `${where} must define exactly one of connect or exec`,
    });
  } else if (!context.inetd && endpoints !== 2) {
    findings.push({
      code: 'ERR_TUNNEL_CONFIG_ENDPOINTS',
      location: at,
      option: undefined,
      message: `${where} must define two endpoints (accept or sni, and connect or exec; or exec and connect), found ${endpoints}`,
    });
  }

  // Spec "cert": a certificate is required in server mode (stunnel 5.68 also accepts PSK instead).
  if (!service.client && service.cert === undefined && service.PSKsecrets === undefined) {
    findings.push({
      code: 'ERR_TUNNEL_CONFIG_NO_CERT',
      location: at,
      option: 'cert',
      message: `${where}: a TLS server needs a certificate (cert) or PSKsecrets`,
    });
  }

  // verify 1-4, verifyChain and verifyPeer need trust anchors; the subject checks and redirect need verification.
  const verifying = (service.verify !== undefined && service.verify > 0) || service.verifyChain || service.verifyPeer;
  if (verifying && service.CAfile === undefined && service.CApath === undefined && service.CAengine.length === 0) {
    const option = service.verify !== undefined ? 'verify' : service.verifyChain ? 'verifyChain' : 'verifyPeer';
    found('ERR_TUNNEL_CONFIG_NO_CA', option, 'needs CAfile, CApath or CAengine');
  }
  for (const option of ['checkHost', 'checkEmail', 'checkIP', 'redirect'] as const) {
    if (service[option].length > 0 && !verifying)
      found('ERR_TUNNEL_CONFIG_NEEDS_VERIFY', option, 'needs verifyChain, verifyPeer or verify >= 1');
  }

  if (service.engineNum !== undefined && service.engineNum > context.engineCount) {
    const selected = context.engineCount === 0 ? 'no engine is selected' : `only ${context.engineCount} engine(s) are selected`;
    found('ERR_TUNNEL_CONFIG_INVALID_VALUE', 'engineNum', `${selected} in the global section`);
  }

  if ((service.ticketKeySecret === undefined) !== (service.ticketMacSecret === undefined)) {
    const option = service.ticketKeySecret === undefined ? 'ticketMacSecret' : 'ticketKeySecret';
    found('ERR_TUNNEL_CONFIG_TICKET_KEYS', option, 'ticketKeySecret and ticketMacSecret must be set together');
  }
  return findings;
}
