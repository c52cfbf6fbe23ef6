import { type ConnectionCloseEvent, createTunnel, type ServiceOptions, type Tunnel } from '@tunnel/core';

/** A one-service tunnel built by core on 127.0.0.1:0, with the close events it reported. */
export interface RunningTunnel {
  readonly tunnel: Tunnel;
  readonly port: number;
  readonly closed: ConnectionCloseEvent[];
  close(): Promise<void>;
}

/** Starts `service` through `@tunnel/core` (its accept address is forced to loopback, port 0). */
export async function startTunnel(service: Omit<ServiceOptions, 'accept'>): Promise<RunningTunnel> {
  const tunnel = createTunnel({ services: [{ ...service, accept: [{ host: '127.0.0.1', port: 0 }] }] });
  const closed: ConnectionCloseEvent[] = [];
  tunnel.on('connectionClose', (event) => closed.push(event));
  await tunnel.listen();
  const [address] = tunnel.addresses().get(service.name) ?? [];
  if (address === undefined || typeof address === 'string') throw new Error('the tunnel has no TCP address');
  return { tunnel, port: address.port, closed, close: () => tunnel.close({ graceful: false }) };
}
