// Runs inside the consumer project: LDAP StartTLS to a tunnel `protocol = ldap` server service, then
// a verified TLS handshake on the same socket and one echoed line. Usage: node ldap-client.mjs PORT CA.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { StreamChannel } from '@tunnel/protocol';
import { startTlsLdap } from 'tunnel-protocol-ldap';

const [port, caFile] = process.argv.slice(2);
const timer = setTimeout(() => {
  console.error('ldap client: timed out');
  process.exit(1);
}, 10_000);
const socket = net.connect(Number(port), '127.0.0.1');
await once(socket, 'connect');
const channel = new StreamChannel(socket);
await startTlsLdap(channel);
if (channel.buffered > 0) throw new Error('plaintext after the StartTLS response');
const secure = tls.connect({ socket, servername: 'localhost', ca: readFileSync(caFile) });
await once(secure, 'secureConnect');
const version = secure.getProtocol();
secure.write('ldap-through-tunnel\n');
let text = '';
for await (const chunk of secure) {
  text += chunk;
  if (text.includes('\n')) break;
}
secure.destroy();
clearTimeout(timer);
if (text.trim() !== 'ldap-through-tunnel') throw new Error(`unexpected echo: ${JSON.stringify(text)}`);
console.log(`ldap StartTLS + ${version} through the global tunnel: echoed "${text.trim()}"`);
