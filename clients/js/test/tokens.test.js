// Short-lived tokens against the real server: pushy.token_expiring hands the stream over to a
// fresh token, a stream that ends at `exp` resumes with a new one, and nothing published in
// between is lost or repeated.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { PushyClient } from '../src/pushy.js';
import { metric, mintToken, publish, sleep, startPushy, waitFor } from './server.js';

// Each test has its own node (metrics are per node), so the three can run at the same time.
const clients = [];
const servers = [];
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.stop()));
});

async function node() {
  const server = await startPushy();
  servers.push(server);
  return server;
}

// Publishes `tick` events on `channel` every `everyMs` until stop() and returns their ids.
function publisher(server, channel, everyMs) {
  const ids = [];
  let running = true;
  const done = (async () => {
    for (let n = 0; running; n++) {
      ids.push(await publish(server.url, channel, n, 'tick'));
      await sleep(everyMs);
    }
  })();
  return {
    ids,
    async stop() {
      running = false;
      await done;
    },
  };
}

function watch(sub) {
  const seen = { ids: [], states: [], errors: [], expiring: [] };
  sub.on('tick', (data, meta) => seen.ids.push(meta.id));
  sub.on('state', (state) => seen.states.push(state));
  sub.on('error', (err) => seen.errors.push(err));
  sub.on('tokenExpiring', (info) => seen.expiring.push(info));
  return seen;
}

describe('short-lived tokens', { concurrency: true }, () => {
  test('pushy.token_expiring: getToken() and a new stream from the last id, nothing lost', async () => {
    const server = await node();
    const reasons = [];
    const c = new PushyClient({
      url: server.url,
      transport: 'fetch',
      getToken: async ({ reason }) => {
        reasons.push(reason);
        // 4 s: the server sends token_expiring a tenth of the lifetime ahead and checks every
        // 250 ms, so a shorter token may see no warning at all.
        return mintToken(server.url, ['ticks'], { ttl: 4 }); // {token, expires_at} is accepted
      },
    });
    clients.push(c);
    const opensBefore = await metric(server.url, 'pushy_streams_opened_total');
    const sub = c.subscribe('ticks');
    const seen = watch(sub);
    await waitFor(() => sub.state === 'open', { what: 'open' });
    const pub = publisher(server, 'ticks', 40);
    // Two handovers, about 3.5 s apart.
    await waitFor(() => reasons.length === 3, { timeoutMs: 10000, what: 'two refreshes' });
    await sleep(300);
    await pub.stop();
    await waitFor(() => seen.ids.length >= pub.ids.length, { what: 'every event' });
    await sleep(100);
    assert.deepEqual(seen.ids, pub.ids, 'every event once, in publish order');
    assert.ok(pub.ids.length > 50);
    assert.deepEqual(reasons, ['initial', 'expiring', 'expiring']);
    assert.equal(seen.expiring.length, 2);
    assert.ok(Number.isInteger(seen.expiring[0].expiresAt));
    assert.deepEqual(seen.states, ['connecting', 'open'], 'a handover is not a reconnect');
    assert.deepEqual(seen.errors, []);
    assert.equal((await metric(server.url, 'pushy_streams_opened_total')) - opensBefore, 3);
    sub.close();
  });

  test('a stream that ends at exp reconnects with a new token and resumes without loss', async () => {
    const server = await node();
    const reasons = [];
    const c = new PushyClient({
      url: server.url,
      transport: 'fetch',
      retry: { initialMs: 300, maxMs: 600 },
      getToken: async ({ reason }) => {
        reasons.push(reason);
        // Refuse the early refresh, so the stream really runs until the server ends it.
        if (reason === 'expiring') throw new Error('backend unavailable');
        return (await mintToken(server.url, ['ticks2'], { ttl: reasons.length === 1 ? 4 : 60 }))
          .token;
      },
    });
    clients.push(c);
    const expiredBefore = await metric(server.url, 'pushy_streams_expired_total');
    const sub = c.subscribe('ticks2');
    const seen = watch(sub);
    await waitFor(() => sub.state === 'open', { what: 'open' });
    const pub = publisher(server, 'ticks2', 30);
    await waitFor(() => seen.states.includes('reconnecting'), {
      timeoutMs: 6000,
      what: 'the end of the stream',
    });
    await waitFor(() => seen.states.at(-1) === 'open', { what: 'open again' });
    await sleep(300);
    await pub.stop();
    await waitFor(() => seen.ids.length >= pub.ids.length, { what: 'every event' });
    await sleep(100);
    assert.deepEqual(seen.ids, pub.ids, 'events published while away are replayed, none twice');
    assert.deepEqual(reasons, ['initial', 'expiring', 'expired']);
    assert.deepEqual(seen.states, ['connecting', 'open', 'reconnecting', 'open']);
    assert.deepEqual(
      seen.errors.map((e) => e.code),
      ['token'],
    ); // the refused refresh
    assert.equal((await metric(server.url, 'pushy_streams_expired_total')) - expiredBefore, 1);
    sub.close();
  });

  test('a fixed token that expires: the stream ends, the reconnect is refused, closed', async () => {
    const server = await node();
    const { token } = await mintToken(server.url, ['news'], { ttl: 1 });
    const c = new PushyClient({
      url: server.url,
      token,
      transport: 'fetch',
      retry: { initialMs: 50 },
    });
    clients.push(c);
    const sub = c.subscribe('news');
    const seen = watch(sub);
    await waitFor(() => sub.state === 'closed', { timeoutMs: 4000, what: 'closed' });
    assert.deepEqual(seen.states, ['connecting', 'open', 'reconnecting', 'closed']);
    assert.deepEqual(
      seen.errors.map((e) => [e.status, e.fatal, e.message]),
      [[401, true, 'stream refused: token expired']],
    );
  });
});
