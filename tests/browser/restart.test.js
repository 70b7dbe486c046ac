// The node is stopped (SIGTERM: it drains, ending streams cleanly) and started again on the same
// port in the middle of a page's streams. History does not survive a restart, so every stream
// must come back with exactly: the events before, one pushy.reset, then live events; no page
// error, nothing twice, nothing missing.
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

const SUBS = ['native', 'es', 'fetch'];

test('stop and restart mid-stream: reset, then live events, on every kind of stream', async () => {
  const { page, errors } = await openHarness(browser.context, pages);
  const { port } = pushy;
  const url = pushy.url;
  const { token } = await mintToken(url, ['news']);
  await page.evaluate(
    ({ url }) => {
      const getToken = async () => {
        const res = await fetch(`${url}/demo/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ sub: 'page', channels: ['news'] }),
        });
        return res.json();
      };
      const client = new Pushy.PushyClient({
        url,
        getToken,
        retry: { initialMs: 200, maxMs: 1000 },
      });
      watch('es', client, 'news');
      watch('fetch', client, 'news', { transport: 'fetch' });
    },
    { url },
  );
  // The browser's own EventSource reconnects by itself (Last-Event-ID header, same URL).
  await page.evaluate(
    ({ url, token }) =>
      native('native', `${url}/channels/news/stream?token=${token}`, ['message', 'pushy.reset']),
    { url, token },
  );
  await waitForLog(
    page,
    (subs) => subs.every((s) => log.some((e) => e.sub === s && e.state === 'open')),
    SUBS,
  );

  const before = [await publish(url, 'news', 'before-1'), await publish(url, 'news', 'before-2')];
  await waitForLog(
    page,
    (subs) => subs.every((s) => log.filter((e) => e.sub === s && e.kind === 'event').length === 2),
    SUBS,
  );

  assert.deepEqual(await pushy.stop(), { code: 0, signal: null });
  await waitForLog(page, () =>
    ['es', 'fetch'].every((s) => log.some((e) => e.sub === s && e.state === 'reconnecting')),
  );
  await sleep(300); // the library's retries now meet a closed port
  pushy = await startPushy({ port });
  assert.equal(pushy.url, url);

  await waitForLog(
    page,
    (subs) => subs.every((s) => log.some((e) => e.sub === s && e.kind === 'reset')),
    SUBS,
    15000,
  );
  const afterIds = [await publish(url, 'news', 'after-1'), await publish(url, 'news', 'after-2')];
  await waitForLog(
    page,
    (subs) => subs.every((s) => log.filter((e) => e.sub === s && e.kind === 'event').length === 4),
    SUBS,
  );
  await sleep(300);

  const log = await page.evaluate(() => log);
  for (const sub of SUBS) {
    const seen = log.filter((e) => e.sub === sub && (e.kind === 'event' || e.kind === 'reset'));
    assert.deepEqual(
      seen.map((e) => (e.kind === 'reset' ? `reset:${e.reason}` : `${e.id}=${e.data}`)),
      [
        `${before[0]}=before-1`,
        `${before[1]}=before-2`,
        'reset:unknown_history',
        `${afterIds[0]}=after-1`,
        `${afterIds[1]}=after-2`,
      ],
      `${sub}: what the page saw`,
    );
  }
  for (const sub of ['es', 'fetch']) {
    const states = log.filter((e) => e.sub === sub && e.kind === 'state').map((e) => e.state);
    assert.equal(states[0], 'connecting');
    assert.equal(states.at(-1), 'open', `${sub} ends open`);
    assert.ok(!log.some((e) => e.sub === sub && e.fatal), `${sub}: no fatal error`);
  }
  assert.deepEqual(errors, []);
});
