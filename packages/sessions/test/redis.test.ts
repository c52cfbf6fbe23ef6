import { createServer, type Socket } from 'node:net';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { tempDir, timed, freePort, listen } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CHANNEL_SESSIONS_STATUS, connectRedis, createRedisSessionStore, type SessionStoreEvent } from '../src/index.js';
import { startRedis } from './redis-server.js';

const dir = tempDir();
test.after(() => dir.remove());

const id = (n: number) => Buffer.alloc(32, n);
const session = (n: number) => Buffer.concat([Buffer.from('3081a302010102020303'), Buffer.alloc(100, n)]);

async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test(
  'a session stored through one instance is found by another through redis-server, with the TTL set in Redis',
  timed(async () => {
    const redis = await startRedis(dir.path);
    const options = { host: '127.0.0.1', port: redis.port, namespace: 'svc', ttlSeconds: 120 };
    const a = createRedisSessionStore(options);
    const b = createRedisSessionStore(options);
    const other = createRedisSessionStore({ ...options, namespace: 'other' });
    try {
      await Promise.all([a.ticketKeys(), b.ticketKeys()]);
      await a.set(id(1), session(1));
      assert.equal(await b.get(id(1)), session(1));
      assert.is(await other.get(id(1)), undefined, 'namespaces (services) are separate');
      assert.is(await b.get(id(2)), undefined);
      const probe = await connectRedis({ host: '127.0.0.1', port: redis.port });
      const ttl = await probe.command(['PTTL', `tunnel:svc:session:${id(1).toString('hex')}`]);
      probe.close();
      assert.ok(typeof ttl === 'number' && ttl > 110_000 && ttl <= 120_000, `PTTL ${String(ttl)}`);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
      await redis.stop();
    }
  }, 20_000),
);

test(
  'instances sharing a Redis agree on one set of ticket keys: the first one stores them (SET NX)',
  timed(async () => {
    const redis = await startRedis(dir.path);
    const options = { host: '127.0.0.1', port: redis.port, namespace: 'keys' };
    const stores = [createRedisSessionStore(options), createRedisSessionStore(options), createRedisSessionStore(options)];
    try {
      const keys = await Promise.all(stores.map((store) => store.ticketKeys()));
      assert.is(keys[0]?.length, 48);
      assert.equal(keys[1], keys[0]);
      assert.equal(keys[2], keys[0]);
      const fixed = Buffer.alloc(48, 3);
      const pinned = createRedisSessionStore({ ...options, ticketKeys: fixed });
      assert.equal(await pinned.ticketKeys(), fixed, 'keys from secrets win over Redis');
      await pinned.close();
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await redis.stop();
    }
  }, 20_000),
);

test(
  'redis-server killed: one degraded event, lookups answer at once from the local cache, and a restart restores sharing',
  timed(async () => {
    let redis = await startRedis(dir.path);
    const port = redis.port;
    const events: SessionStoreEvent[] = [];
    const published: unknown[] = [];
    const onPublish = (message: unknown) => published.push(message);
    subscribe(CHANNEL_SESSIONS_STATUS, onPublish);
    const store = createRedisSessionStore({ host: '127.0.0.1', port, namespace: 'outage', retryMs: 100, onEvent: (e) => events.push(e) });
    const peer = createRedisSessionStore({ host: '127.0.0.1', port, namespace: 'outage', retryMs: 100 });
    try {
      await Promise.all([store.ticketKeys(), peer.ticketKeys()]);
      await store.set(id(1), session(1));
      await redis.stop();
      await eventually(() => events.length > 0, 3000, 'the degraded event');
      for (let i = 0; i < 20; i += 1) {
        const started = Date.now();
        assert.equal(await store.get(id(1)), session(1), 'local hit');
        assert.is(await store.get(id(9)), undefined);
        await store.set(id(10 + i), session(2));
        assert.ok(Date.now() - started < 150, 'no call waits for the dead server');
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      assert.is(events.length, 1, 'one event per outage');
      assert.is(events[0]?.type, 'degraded');
      assert.match(events[0]?.type === 'degraded' ? events[0].code : '', /^ERR_TUNNEL_SESSIONS_REDIS_/);
      // Both instances lost Redis: each says so once on the diagnostics channel, the same event its listener got.
      assert.is(published.length, 2);
      assert.ok(published.includes(events[0]));
      redis = await startRedis(dir.path, port);
      await eventually(() => events.length === 2, 5000, 'the restored event');
      assert.is(events[1]?.type, 'restored');
      await store.set(id(3), session(3));
      // The peer reconnects on its own schedule; sharing works again once it has.
      let shared: Buffer | undefined;
      const deadline = Date.now() + 5000;
      while (shared === undefined && Date.now() < deadline) {
        shared = await peer.get(id(3));
        if (shared === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(shared, session(3));
    } finally {
      unsubscribe(CHANNEL_SESSIONS_STATUS, onPublish);
      await Promise.all([store.close(), peer.close()]);
      await redis.stop();
    }
  }, 30_000),
);

test(
  'a server that accepts but never answers counts as down within the time bound, and nothing else waits',
  timed(async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    const port = await listen(silent);
    const events: SessionStoreEvent[] = [];
    const store = createRedisSessionStore({ host: '127.0.0.1', port, namespace: 'slow', timeoutMs: 100, onEvent: (e) => events.push(e) });
    try {
      const started = Date.now();
      const keys = await store.ticketKeys();
      assert.is(keys.length, 48, 'falls back to its own keys');
      assert.ok(Date.now() - started < 1000);
      assert.is(events[0]?.type === 'degraded' ? events[0].code : undefined, 'ERR_TUNNEL_SESSIONS_REDIS_TIMEOUT');
      const lookup = Date.now();
      assert.is(await store.get(id(1)), undefined);
      assert.ok(Date.now() - lookup < 50);
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 10_000),
);

test(
  'nothing listening: connectRedis fails with ERR_TUNNEL_SESSIONS_REDIS_CONNECT; a bad address is refused up front',
  timed(async () => {
    const port = await freePort();
    try {
      await connectRedis({ host: '127.0.0.1', port });
      assert.unreachable('connected');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SESSIONS_REDIS_CONNECT');
    }
    try {
      createRedisSessionStore({ host: '127.0.0.1', port: 0, namespace: 'x' });
      assert.unreachable('accepted');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SESSIONS_BAD_ARGUMENT');
    }
  }, 10_000),
);

test(
  'an error reply rejects that command only with ERR_TUNNEL_SESSIONS_REDIS_REPLY; the connection stays usable',
  timed(async () => {
    const redis = await startRedis(dir.path);
    const connection = await connectRedis({ host: '127.0.0.1', port: redis.port });
    try {
      try {
        await connection.command(['NOSUCHCOMMAND']);
        assert.unreachable('accepted');
      } catch (error) {
        assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SESSIONS_REDIS_REPLY');
      }
      assert.is(await connection.command(['PING']), 'PONG');
      assert.ok(connection.open);
    } finally {
      connection.close();
      await redis.stop();
    }
  }, 10_000),
);

test.run();
