// PushyClient with the fetch transport against the real server: delivery, patterns, several
// channels, publishing, resume and reset, refusals, and close().
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PushyClient, PushyError } from '../src/pushy.js';
import { PUBLISHER, metric, mintToken, publish, sleep, startPushy, waitFor } from './server.js';

let server;
const clients = [];
before(async () => {
  server = await startPushy();
});
after(async () => {
  for (const c of clients) c.close(); // a failed test must not leave reconnect loops behind
  await server?.stop();
});

// Records what a subscription reports, so tests can wait for it and assert on all of it.
function record(sub) {
  const seen = { events: [], states: [], errors: [], resets: [] };
  sub.on('*', (data, meta) => seen.events.push({ data, ...meta }));
  sub.on('state', (state) => seen.states.push(state));
  sub.on('error', (err) => seen.errors.push(err));
  sub.on('reset', (reset) => seen.resets.push(reset));
  return seen;
}

function client(channels, options = {}) {
  return track(
    new PushyClient({
      url: server.url,
      transport: 'fetch',
      getToken: async () => (await mintToken(server.url, channels)).token,
      retry: { initialMs: 50, maxMs: 400 },
      ...options,
    }),
  );
}

function track(c) {
  clients.push(c);
  return c;
}

const opened = (sub) => waitFor(() => sub.state === 'open', { what: 'open' });

describe('subscribe', () => {
  test('receives events with the envelope unpacked, per name and for *', async () => {
    const c = client(['news']);
    const sub = c.subscribe('news');
    const seen = record(sub);
    const named = [];
    const messages = [];
    sub.on('article.updated', (data, meta) => named.push([data, meta.event]));
    sub.on('message', (data) => messages.push(data));
    await opened(sub);
    const before = Date.now();
    const id1 = await publish(server.url, 'news', { title: 'hello' });
    const id2 = await publish(server.url, 'news', [1, 2], 'article.updated');
    await waitFor(() => seen.events.length === 2, { what: 'two events' });
    assert.deepEqual(
      seen.events.map(({ data, id, event, channel }) => ({ data, id, event, channel })),
      [
        { data: { title: 'hello' }, id: id1, event: 'message', channel: 'news' },
        { data: [1, 2], id: id2, event: 'article.updated', channel: 'news' },
      ],
    );
    assert.ok(seen.events[0].ts >= before - 1000 && seen.events[0].ts <= Date.now() + 1000);
    assert.deepEqual(messages, [{ title: 'hello' }]);
    assert.deepEqual(named, [[[1, 2], 'article.updated']]);
    assert.equal(sub.lastEventId, id2);
    assert.deepEqual(seen.states, ['connecting', 'open']);
    sub.close();
    assert.deepEqual(seen.states, ['connecting', 'open', 'closed']);
    assert.deepEqual(seen.errors, []);
  });

  test('a pattern and several channels on one stream', async () => {
    const c = client(['news', 'sports.**']);
    const sub = c.subscribe(['news', 'sports.*']);
    const seen = record(sub);
    await opened(sub);
    for (const ch of [
      'sports.tennis',
      'news',
      'sports',
      'sports.tennis.live',
      'other',
      'sports.golf',
    ]) {
      await publish(server.url, ch, ch);
    }
    await waitFor(() => seen.events.length === 3, { what: 'three events' });
    await sleep(100);
    assert.deepEqual(
      seen.events.map((e) => e.channel),
      ['sports.tennis', 'news', 'sports.golf'],
    );
    assert.deepEqual(
      seen.events.map((e) => e.data),
      ['sports.tennis', 'news', 'sports.golf'],
    );
    sub.close();
  });

  test('channel names that need escaping reach the server intact', async () => {
    const c = client(['user:42.inbox', 'org=acme.*']);
    const sub = c.subscribe(['user:42.inbox', 'org=acme.*']);
    const single = c.subscribe('user:42.inbox');
    const seen = record(sub);
    const seenSingle = record(single);
    await opened(sub);
    await opened(single);
    await publish(server.url, 'user:42.inbox', 1);
    await publish(server.url, 'org=acme.orders', 2);
    await waitFor(() => seen.events.length === 2 && seenSingle.events.length === 1, {
      what: 'events',
    });
    assert.deepEqual(
      seen.events.map((e) => e.channel),
      ['user:42.inbox', 'org=acme.orders'],
    );
    c.close();
    assert.equal(sub.state, 'closed');
    assert.equal(single.state, 'closed');
  });
});

describe('publish', () => {
  test('publishes with the client token, to one channel or several', async () => {
    const c = client(['chat.*']);
    const sub = c.subscribe('chat.*');
    const seen = record(sub);
    await opened(sub);
    const { id } = await c.publish('chat.room1', { text: 'hi' }, { event: 'chat' });
    const { ids } = await c.publish(['chat.room2', 'chat.room3'], 7);
    await waitFor(() => seen.events.length === 3, { what: 'three events' });
    assert.deepEqual(
      seen.events.map((e) => [e.id, e.event, e.channel, e.data]),
      [
        [id, 'chat', 'chat.room1', { text: 'hi' }],
        [ids[0], 'message', 'chat.room2', 7],
        [ids[1], 'message', 'chat.room3', 7],
      ],
    );
    sub.close();
  });

  test('a channel outside the grant is a PushyError with the status and message', async () => {
    const c = client(['chat.*']);
    await assert.rejects(c.publish('news', 1), (err) => {
      assert.ok(err instanceof PushyError);
      assert.equal(err.status, 403);
      assert.equal(err.message, 'channel not granted by token');
      return true;
    });
    await assert.rejects(c.publish('chat.*', 1), {
      status: 400,
      message: 'cannot publish to a channel pattern',
    });
  });

  test('a refused token is replaced once through getToken()', async () => {
    const good = (await mintToken(server.url, ['chat.*'])).token;
    const reasons = [];
    const c = track(
      new PushyClient({
        url: server.url,
        token: good.slice(0, -4) + 'AAAA',
        getToken: async ({ reason }) => {
          reasons.push(reason);
          return { token: good, expires_at: 0 };
        },
      }),
    );
    assert.match((await c.publish('chat.x', 1)).id, /^[0-9a-f]{12}-\d+$/);
    assert.deepEqual(reasons, ['unauthorized']);
  });
});

describe('resume and reset', () => {
  test('lastEventId replays exactly what was missed, then goes live', async () => {
    const c = client(['resume']);
    const first = await publish(server.url, 'resume', 0);
    const missed = [];
    for (let n = 1; n <= 3; n++) missed.push(await publish(server.url, 'resume', n));
    const sub = c.subscribe('resume', { lastEventId: first });
    const seen = record(sub);
    await opened(sub);
    const live = await publish(server.url, 'resume', 4);
    await waitFor(() => seen.events.length === 4, { what: 'four events' });
    await sleep(100);
    assert.deepEqual(
      seen.events.map((e) => e.id),
      [...missed, live],
    );
    assert.deepEqual(
      seen.events.map((e) => e.data),
      [1, 2, 3, 4],
    );
    assert.deepEqual(seen.resets, []);
    sub.close();
  });

  test('an unknown id surfaces pushy.reset, then live events', async () => {
    const c = client(['resetting']);
    const sub = c.subscribe('resetting', { lastEventId: 'not-a-pushy-id' });
    const seen = record(sub);
    await waitFor(() => seen.resets.length === 1, { what: 'reset' });
    assert.equal(seen.resets[0].reason, 'unknown_history');
    assert.equal(typeof seen.resets[0].message, 'string');
    assert.match(seen.resets[0].id, /^[0-9a-f]{12}-\d+$/);
    assert.equal(sub.lastEventId, seen.resets[0].id);
    const id = await publish(server.url, 'resetting', 'live');
    await waitFor(() => seen.events.length === 1, { what: 'live event' });
    assert.equal(seen.events[0].id, id);
    assert.deepEqual(
      seen.events.map((e) => e.event),
      ['message'],
    ); // reset is not an app event
    sub.close();
  });
});

describe('refusals', () => {
  test('401 with a fixed token: closed at once with an error, no retry', async () => {
    let requests = 0;
    const c = track(
      new PushyClient({
        url: server.url,
        token: 'x.y.z',
        transport: 'fetch',
        fetch: (...args) => {
          requests++;
          return fetch(...args);
        },
      }),
    );
    const sub = c.subscribe('news');
    const seen = record(sub);
    await waitFor(() => sub.state === 'closed', { what: 'closed' });
    assert.equal(seen.errors.length, 1);
    assert.equal(seen.errors[0].status, 401);
    assert.equal(seen.errors[0].fatal, true);
    assert.equal(seen.errors[0].message, 'stream refused: malformed token');
    await sleep(200);
    assert.equal(requests, 1);
  });

  test('401 again and again: getToken() is asked maxAuthFailures times, then closed', async () => {
    const reasons = [];
    const c = track(
      new PushyClient({
        url: server.url,
        transport: 'fetch',
        maxAuthFailures: 3,
        retry: { initialMs: 20, maxMs: 50 },
        getToken: async ({ reason }) => {
          reasons.push(reason);
          const { token } = await mintToken(server.url, ['news']);
          return token.slice(0, -6) + 'AAAAAA'; // bad signature
        },
      }),
    );
    const sub = c.subscribe('news');
    const seen = record(sub);
    await waitFor(() => sub.state === 'closed', { what: 'closed' });
    assert.deepEqual(reasons, ['initial', 'unauthorized', 'unauthorized']);
    assert.deepEqual(
      seen.errors.map((e) => [e.status, e.fatal]),
      [
        [401, false],
        [401, false],
        [401, true],
      ],
    );
    assert.equal(seen.errors.at(-1).message, 'stream refused: invalid token signature');
  });

  test('403 (channel not granted) is final', async () => {
    const c = client(['news']);
    const sub = c.subscribe('sports');
    const seen = record(sub);
    await waitFor(() => sub.state === 'closed', { what: 'closed' });
    assert.deepEqual(
      seen.errors.map((e) => [e.status, e.fatal, e.message]),
      [[403, true, 'stream refused: channel not granted by token']],
    );
    assert.deepEqual(seen.states, ['connecting', 'closed']);
  });
});

describe('getToken() and handlers', () => {
  test('getToken() errors are retried; one marked fatal stops the subscription', async () => {
    let calls = 0;
    const c = track(
      new PushyClient({
        url: server.url,
        transport: 'fetch',
        retry: { initialMs: 20, maxMs: 50 },
        getToken: async () => {
          calls++;
          const err = new Error(calls < 3 ? 'backend down' : 'logged out');
          err.fatal = calls >= 3;
          throw err;
        },
      }),
    );
    const sub = c.subscribe('news');
    const seen = record(sub);
    await waitFor(() => sub.state === 'closed', { what: 'closed' });
    assert.equal(calls, 3);
    assert.deepEqual(
      seen.errors.map((e) => [e.code, e.fatal, e.message]),
      [
        ['token', false, 'getToken() failed: backend down'],
        ['token', false, 'getToken() failed: backend down'],
        ['token', true, 'getToken() failed: logged out'],
      ],
    );
  });

  test('a throwing handler does not stop the stream; the error reaches error handlers', async () => {
    const c = client(['throwing']);
    const sub = c.subscribe('throwing');
    const seen = record(sub);
    sub.on('message', (data) => {
      if (data === 1) throw new Error('boom');
    });
    await opened(sub);
    await publish(server.url, 'throwing', 1);
    await publish(server.url, 'throwing', 2);
    await waitFor(() => seen.events.length === 2, { what: 'both events' });
    assert.deepEqual(
      seen.errors.map((e) => [e.code, e.message]),
      [['handler', 'handler failed: Error: boom']],
    );
    assert.equal(sub.state, 'open');
    sub.close();
  });
});

describe('close()', () => {
  test('aborts the open stream and sends no request afterwards', async () => {
    let requests = 0;
    const c = client(['closing'], {
      fetch: (...args) => {
        requests++;
        return fetch(...args);
      },
    });
    // Streams of earlier tests are closed, but the server may not have seen every close yet.
    const streamsOpen = async (n) => (await metric(server.url, 'pushy_streams_open')) === n;
    await waitFor(() => streamsOpen(0), { what: 'no stream open' });
    const sub = c.subscribe('closing');
    const seen = record(sub);
    await opened(sub);
    await waitFor(() => streamsOpen(1), { what: 'the server to count the stream' });
    sub.close();
    sub.close(); // idempotent
    await waitFor(() => streamsOpen(0), {
      what: 'the server to see the stream end',
    });
    await publish(server.url, 'closing', 'after close');
    await sleep(300);
    assert.equal(requests, 1);
    assert.deepEqual(seen.events, []);
    assert.deepEqual(seen.states, ['connecting', 'open', 'closed']);
  });

  test('cancels a pending reconnect and drops events still queued in the same read', async () => {
    let requests = 0;
    const c = track(
      new PushyClient({
        url: 'http://127.0.0.1:9', // nothing listens: every attempt is refused
        token: 'x.y.z',
        transport: 'fetch',
        retry: { initialMs: 5000, maxMs: 5000, jitter: false },
        fetch: (...args) => {
          requests++;
          return fetch(...args);
        },
      }),
    );
    const sub = c.subscribe('news');
    const seen = record(sub);
    await waitFor(() => sub.state === 'reconnecting', { what: 'reconnecting' });
    assert.equal(seen.errors[0].code, 'network');
    const started = Date.now();
    sub.close();
    await sleep(200);
    assert.equal(requests, 1);
    assert.equal(sub.state, 'closed');
    assert.ok(Date.now() - started < 1000);

    // close() from inside a handler: later events of the same chunk are not delivered.
    const c2 = client(['burst']);
    const sub2 = c2.subscribe('burst');
    const got = [];
    sub2.on('message', (data) => {
      got.push(data);
      sub2.close();
    });
    await opened(sub2);
    await fetch(`${server.url}/publish`, {
      method: 'POST',
      headers: { ...PUBLISHER, 'Content-Type': 'application/json' },
      body: JSON.stringify({ channels: ['burst', 'burst', 'burst'], data: 'x' }),
    });
    await sleep(200);
    assert.deepEqual(got, ['x']);
  });
});
