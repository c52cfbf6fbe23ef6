import { PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext } from '@tunnel/protocol';
import { acceptStartTlsLdap, startTlsLdap } from './starttls.js';

/**
 * Both modes run before TLS on the TLS-bound side: client mode talks to the LDAP server (`remote`),
 * server mode answers the LDAP client (`local`). Core refuses the connection if any plaintext is left
 * buffered on that side afterwards (STARTTLS injection).
 */
async function preTls(context: ProtocolContext): Promise<void> {
  if (context.mode === 'client') {
    const server = context.remote ?? (await context.connectRemote());
    await startTlsLdap(server);
    context.log.info('LDAP StartTLS accepted by the server');
  } else {
    await acceptStartTlsLdap(context.local);
    context.log.info('LDAP StartTLS requested by the client');
  }
}

/** The `protocol = ldap` plugin (third-party example): LDAP StartTLS, RFC 4511 §4.14. */
export const protocol: Protocol = {
  name: 'ldap',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['client', 'server'],
  description: 'LDAP StartTLS (RFC 4511 §4.14)',
  preTls,
};
