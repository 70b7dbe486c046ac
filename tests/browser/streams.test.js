// Headless Chromium against the real server: the browser's own EventSource and the client
// library (both transports) receive what the test publishes; wildcard and multi-channel streams
// show events from several channels and nothing else.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  launch,
  mintToken,
  openHarness,
  publish,
  sleep,
  startPageServer,
  startPushy,
  waitForLog,
} from './harness.js';

let pushy;
let pages;
let browser;
before(async () => {
  [pushy, pages, browser] = await Promise.all([startPushy(), startPageServer(), launch()]);
});
after(async () => {
  await browser?.close();
  await pages?.close();
  await pushy?.stop();
});

const eventsOf = (log, sub) => log.filter((e) => e.sub === sub && e.kind === 'event');
const opened = (page, names) =>
  waitForLog(
    page,
    (names) => names.every((n) => log.some((e) => e.sub === n && e.state === 'open')),
    names,
  );

test('native EventSource and the client (both transports) receive published events', async () => {
  const { page, errors } = await openHarness(browser.context, pages);
  const { token } = await mintToken(pushy.url, ['news']);
  await page.evaluate(
    ({ url, token }) => {
      native('native', `${url}/channels/news/stream?token=${token}`, [
        'message',
        'article.updated',
      ]);
      const client = new Pushy.PushyClient({ url, token });
      watch('es', client, 'news', { events: ['article.updated'] });
      watch('fetch', client, 'news', { transport: 'fetch' });
    },
    { url: pushy.url, token },
  );
  await opened(page, ['native', 'es', 'fetch']);
  assert.equal(
    await page.evaluate(() => subs.es.transport),
    'eventsource',
    'auto picks EventSource in a page',
  );
  const ids = [
    await publish(pushy.url, 'news', { title: 'one' }),
    await publish(pushy.url, 'news', { n: 2 }, 'article.updated'),
    await publish(pushy.url, 'sports', 'not for us'),
  ];
  const log = await waitForLog(page, () =>
    ['native', 'es', 'fetch'].every(
      (s) => log.filter((e) => e.sub === s && e.kind === 'event').length >= 2,
    ),
  );
  await sleep(200);
  const want = [
    { id: ids[0], event: 'message', channel: 'news', data: { title: 'one' } },
    { id: ids[1], event: 'article.updated', channel: 'news', data: { n: 2 } },
  ];
  for (const sub of ['native', 'es', 'fetch']) {
    const got = eventsOf(await page.evaluate(() => log), sub).map(
      ({ id, event, channel, data }) => ({ id, event, channel, data }),
    );
    assert.deepEqual(got, want, `${sub} stream`);
  }
  assert.ok(!log.some((e) => e.kind === 'error'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('a wildcard stream shows events from several channels, and only those', async () => {
  const { page, errors, requests } = await openHarness(browser.context, pages);
  const { token } = await mintToken(pushy.url, ['scores.*', 'alerts']);
  await page.evaluate(
    ({ url, token }) => {
      const client = new Pushy.PushyClient({ url, token });
      watch('wild', client, 'scores.*');
      watch('multi', client, ['scores.*', 'alerts'], { transport: 'fetch' });
      watch('es-multi', client, ['scores.*', 'alerts']);
      native('native-multi', `${url}/stream?channels=scores.*,alerts&token=${token}`, ['message']);
    },
    { url: pushy.url, token },
  );
  await opened(page, ['wild', 'multi', 'es-multi', 'native-multi']);
  for (const ch of [
    'scores.football',
    'scores',
    'alerts',
    'scores.tennis',
    'scores.tennis.live',
    'news',
  ]) {
    await publish(pushy.url, ch, ch);
  }
  await waitForLog(page, () =>
    ['multi', 'es-multi', 'native-multi'].every(
      (s) => log.filter((e) => e.sub === s && e.kind === 'event').length >= 3,
    ),
  );
  await sleep(200);
  const log = await page.evaluate(() => log);
  assert.deepEqual(
    eventsOf(log, 'wild').map((e) => e.channel),
    ['scores.football', 'scores.tennis'],
  );
  assert.ok(
    requests.some((u) => /\/stream\?channels=scores\.\*,alerts&token=/.test(u)),
    'EventSource URL keeps its commas',
  );
  for (const sub of ['multi', 'es-multi', 'native-multi']) {
    assert.deepEqual(
      eventsOf(log, sub).map((e) => e.channel),
      ['scores.football', 'alerts', 'scores.tennis'],
      sub,
    );
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('the client publishes from the page and reports refusals', async () => {
  const { page, errors } = await openHarness(browser.context, pages);
  const { token } = await mintToken(pushy.url, ['chat.*']);
  const result = await page.evaluate(
    async ({ url, token }) => {
      const client = new Pushy.PushyClient({ url, token });
      const sub = watch('chat', client, 'chat.*', { events: ['chat'] });
      await new Promise((resolve) => sub.on('state', (s) => s === 'open' && resolve()));
      const { id } = await client.publish('chat.lobby', { text: 'hi' }, { event: 'chat' });
      const refused = await client.publish('news', 1).catch((e) => [e.name, e.status, e.message]);
      return { id, refused };
    },
    { url: pushy.url, token },
  );
  assert.deepEqual(result.refused, ['PushyError', 403, 'channel not granted by token']);
  const log = await waitForLog(page, () => log.some((e) => e.kind === 'event'));
  assert.deepEqual(
    eventsOf(log, 'chat').map((e) => [e.id, e.event, e.channel, e.data]),
    [[result.id, 'chat', 'chat.lobby', { text: 'hi' }]],
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test('a 503 answer: native EventSource gives up, the client retries until it gets in', async () => {
  const limited = await startPushy({ env: { MAX_CONNECTIONS: '1' } });
  try {
    const { page, errors } = await openHarness(browser.context, pages);
    const { token } = await mintToken(limited.url, ['news']);
    const holder = await fetch(`${limited.url}/channels/news/stream`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(holder.status, 200);
    await page.evaluate(
      ({ url, token }) => {
        native('native', `${url}/channels/news/stream?token=${token}`, ['message']);
        const client = new Pushy.PushyClient({ url, token, retry: { initialMs: 100, maxMs: 500 } });
        watch('es', client, 'news');
      },
      { url: limited.url, token },
    );
    let log = await waitForLog(
      page,
      () =>
        log.some((e) => e.sub === 'native' && e.state === 'closed') &&
        log.filter((e) => e.sub === 'es' && e.kind === 'error').length >= 2,
    );
    assert.ok(
      log
        .filter((e) => e.sub === 'es' && e.kind === 'error')
        .every((e) => e.status === 503 && !e.fatal),
    );
    await holder.body.cancel();
    await opened(page, ['es']);
    const id = await publish(limited.url, 'news', 'in');
    log = await waitForLog(page, () => log.some((e) => e.sub === 'es' && e.kind === 'event'));
    assert.deepEqual(
      eventsOf(log, 'es').map((e) => e.id),
      [id],
    );
    assert.deepEqual(eventsOf(log, 'native'), [], 'the browser never retried by itself');
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await limited.stop();
  }
});
