// Reconnecting: 503 at MAX_CONNECTIONS, a node that stops and comes back on the same port (real
// server), and the transport's own duties that the real server never exercises (odd framing,
// an idle connection, a wrong Content-Type), checked against a scripted HTTP server.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, test } from 'node:test';
import { PushyClient } from '../src/pushy.js';
import { mintToken, publish, sleep, startPushy, waitFor } from './server.js';

const clients = [];
const cleanups = [];
after(async () => {
  for (const c of clients) c.close();
  for (const cleanup of cleanups) await cleanup();
});

function watch(sub) {
  const seen = { events: [], states: [], errors: [], resets: [] };
  sub.on('*', (data, meta) => seen.events.push({ data, ...meta }));
  sub.on('state', (state) => seen.states.push(state));
  sub.on('error', (err) => seen.errors.push(err));
  sub.on('reset', (reset) => seen.resets.push(reset));
  return seen;
}

function newClient(options) {
  const c = new PushyClient({
    transport: 'fetch',
    retry: { initialMs: 50, maxMs: 300 },
    ...options,
  });
  clients.push(c);
  return c;
}

describe('against the real server', { concurrency: true }, () => {
  test('503 at MAX_CONNECTIONS is retried with backoff until a slot frees', async () => {
    const server = await startPushy({ env: { MAX_CONNECTIONS: '1' } });
    cleanups.push(() => server.stop());
    const { token } = await mintToken(server.url, ['news']);
    const first = newClient({ url: server.url, token }).subscribe('news');
    await waitFor(() => first.state === 'open', { what: 'the first stream' });
    const c = newClient({ url: server.url, token });
    const second = c.subscribe('news');
    const seen = watch(second);
    await waitFor(() => seen.errors.length >= 3, { what: 'three refusals' });
    assert.equal(second.state, 'reconnecting');
    for (const err of seen.errors) {
      assert.deepEqual(
        [err.status, err.fatal, err.message],
        [503, false, 'stream refused: too many connections'],
      );
    }
    first.close();
    await waitFor(() => second.state === 'open', { what: 'the second stream' });
    const id = await publish(server.url, 'news', 'through');
    await waitFor(() => seen.events.length === 1, { what: 'the event' });
    assert.equal(seen.events[0].id, id);
    assert.equal(seen.states[0], 'connecting');
    assert.equal(seen.states.at(-1), 'open');
  });

  test('the node stops and starts again on the same port: reset, then live, nothing twice', async () => {
    let server = await startPushy();
    const { port } = server;
    cleanups.push(() => server.stop());
    const c = newClient({
      url: server.url,
      getToken: async () => (await mintToken(`http://127.0.0.1:${port}`, ['news'])).token,
    });
    const sub = c.subscribe('news');
    const seen = watch(sub);
    await waitFor(() => sub.state === 'open', { what: 'open' });
    const before = [await publish(server.url, 'news', 1), await publish(server.url, 'news', 2)];
    await waitFor(() => seen.events.length === 2, { what: 'two events' });
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    await waitFor(() => seen.errors.some((e) => e.code === 'network'), {
      what: 'a refused reconnect',
    });
    assert.equal(sub.state, 'reconnecting');
    server = await startPushy({ port });
    await waitFor(() => seen.resets.length === 1, { what: 'the reset' });
    const afterIds = [await publish(server.url, 'news', 3), await publish(server.url, 'news', 4)];
    await waitFor(() => seen.events.length === 4, { what: 'four events' });
    await sleep(100);
    assert.deepEqual(
      seen.events.map((e) => e.id),
      [...before, ...afterIds],
    );
    assert.equal(seen.resets[0].reason, 'unknown_history');
    assert.equal(sub.lastEventId, afterIds[1]);
    assert.equal(seen.states.at(-1), 'open');
  });
});

// A scripted stand-in for Pushy: `script(req, res, n)` answers the n-th stream request.
async function scripted(script) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url, headers: req.headers });
    script(req, res, requests.length);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${server.address().port}`, requests };
}

const SSE = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' };

describe('transport duties', { concurrency: true }, () => {
  test('odd framing, a clean end, then a reconnect that sends Last-Event-ID and the retry hint', async () => {
    const stand = await scripted(async (req, res, n) => {
      res.writeHead(200, SSE);
      if (n === 1) {
        // BOM, CRLF split between writes, a comment, two data lines, an event left unfinished.
        for (const part of [
          '\uFEFFretry: 30\r',
          '\n\r\n: hi\r\nid: e-1\r\nevent: a',
          'b\r\ndata: {"channel":"c",',
          '\r\ndata: "data":1,"ts":2}\r\n\r',
          '\nid: e-2\ndata: {"channel":"c","data":2,"ts":3}\n',
        ]) {
          res.write(part);
          await sleep(10);
        }
        res.end();
      } else {
        res.write('id: e-3\ndata: {"channel":"c","data":3,"ts":4}\n\n');
      }
    });
    const started = Date.now();
    const sub = newClient({ url: stand.url, token: 'tok', retry: { initialMs: 5000 } }).subscribe(
      'c',
    );
    const seen = watch(sub);
    await waitFor(() => seen.events.length === 2, { what: 'two events' });
    assert.ok(
      Date.now() - started < 2000,
      'the server retry hint (30 ms) bounds the pause, not initialMs',
    );
    assert.deepEqual(
      seen.events.map((e) => [e.id, e.event, e.channel, e.data, e.ts]),
      [
        ['e-1', 'ab', 'c', 1, 2],
        ['e-3', 'message', 'c', 3, 4],
      ],
    );
    assert.equal(stand.requests[0].headers.authorization, 'Bearer tok');
    assert.equal(stand.requests[0].headers['last-event-id'], undefined);
    assert.equal(stand.requests[0].url, '/channels/c/stream');
    assert.equal(
      stand.requests[1].headers['last-event-id'],
      'e-1',
      'the unfinished e-2 never counted',
    );
    assert.deepEqual(seen.states, ['connecting', 'open', 'reconnecting', 'open']);
  });

  test('idleTimeoutMs: a connection silent for too long is replaced', async () => {
    const stand = await scripted((req, res, n) => {
      res.writeHead(200, SSE);
      res.write(`id: i-${n}\ndata: {"channel":"c","data":${n},"ts":0}\n\n`); // then silence
    });
    const sub = newClient({ url: stand.url, token: 'tok', idleTimeoutMs: 200 }).subscribe([
      'c',
      'd.*',
    ]);
    const seen = watch(sub);
    await waitFor(() => seen.events.length === 3, { what: 'three connections' });
    assert.deepEqual(
      stand.requests.map((r) => r.headers['last-event-id']),
      [undefined, 'i-1', 'i-2'],
    );
    assert.equal(stand.requests[0].url, '/stream?channels=c,d.*');
    sub.close();
  });

  test('a 200 that is not text/event-stream is retried; data that is not JSON is an error event', async () => {
    const stand = await scripted((req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<html>proxy page</html>');
        return;
      }
      res.writeHead(200, SSE);
      res.write('data: not json\n\nid: ok-1\ndata: {"channel":"c","data":"fine","ts":0}\n\n');
    });
    const sub = newClient({ url: stand.url, token: 'tok' }).subscribe('c');
    const seen = watch(sub);
    await waitFor(() => seen.events.length === 1, { what: 'an event' });
    assert.deepEqual(
      seen.errors.map((e) => [e.code, e.fatal]),
      [
        ['http', false],
        ['parse', false],
      ],
    );
    assert.equal(seen.errors[0].message, 'stream refused: unexpected Content-Type text/html');
    assert.equal(seen.events[0].data, 'fine');
    sub.close();
  });
});
