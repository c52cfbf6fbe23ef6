export { type Dovecot, freePort, startDovecot, waitForPort } from '@tunnel/testkit';
