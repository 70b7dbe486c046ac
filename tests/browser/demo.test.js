// The demo page as `pushy --demo` serves it: the bytes are the repository's demo/index.html and
// clients/js/src/pushy.js, a person can get a token, open a stream, publish and watch events
// arrive with ids and latency, and the page is absent outside demo mode. Takes the screenshot
// the README shows (written to demo/screenshot.png when UPDATE_SCREENSHOT=1).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLIENT_JS, ROOT, launch, publish, startPushy } from './harness.js';

let pushy;
let browser;
before(async () => {
  [pushy, browser] = await Promise.all([startPushy(), launch()]);
});
after(async () => {
  await browser?.close();
  await pushy?.stop();
});

test("the node serves this repository's page and client", async () => {
  const stale =
    'the binary embeds another version: rebuild pushy after changing demo/ or clients/js/';
  const page = await fetch(`${pushy.url}/demo/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.ok(
    (await page.text()) === readFileSync(join(ROOT, 'demo', 'index.html'), 'utf8'),
    `/demo/: ${stale}`,
  );
  const js = await fetch(`${pushy.url}/demo/pushy.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.ok((await js.text()) === readFileSync(CLIENT_JS, 'utf8'), `/demo/pushy.js: ${stale}`);
});

test('outside demo mode there is no page and no token endpoint without credentials', async () => {
  const prod = await startPushy({ demo: false });
  try {
    for (const [method, path] of [
      ['GET', '/demo/'],
      ['GET', '/demo/pushy.js'],
      ['POST', '/demo/token'],
    ]) {
      const res = await fetch(`${prod.url}${path}`, {
        method,
        body: method === 'POST' ? '{"sub":"x","channels":["news"]}' : undefined,
      });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
  } finally {
    await prod.stop();
  }
});

async function rows(page) {
  return page.$$eval('#events tr[data-id]', (trs) =>
    trs.map((tr) =>
      Object.fromEntries([...tr.cells].map((td) => [td.className.split(' ')[0], td.textContent])),
    ),
  );
}

test('get a token, open a stream, publish, watch events arrive (and the screenshot)', async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${pushy.url}/demo/`);
  await page.click('#get-token');
  await page.waitForSelector('#open:not([disabled])');
  assert.match(await page.textContent('#token-info'), /^Token for demo-user on news, news\.\*/);
  await page.click('#open');
  await page.waitForFunction(() => document.querySelector('#state').textContent === 'open');

  const publishForm = async (channel, event, data) => {
    await page.fill('#publish-channel', channel);
    await page.fill('#publish-event', event);
    await page.fill('#publish-data', data);
    await page.click('#publish');
    await page.waitForFunction(() =>
      /^Published |failed|not JSON/.test(document.querySelector('#publish-info').textContent),
    );
    const info = await page.textContent('#publish-info');
    await page.evaluate(() => (document.querySelector('#publish-info').textContent = ''));
    return info;
  };
  const first = await publishForm('news', '', '{"title": "Pushy is live", "by": "demo page"}');
  const id1 = first.replace('Published ', '');
  await publishForm('news.sports', 'score', '{"match": "Lyon - Nantes", "score": "2-1"}');
  const fromBackend = await publish(
    pushy.url,
    'news.weather',
    { city: 'Paris', temp: 21 },
    'forecast',
  );
  await publishForm('news.tech', 'article.updated', '{"id": 42, "title": "HTTP/2 and SSE"}');
  await publish(pushy.url, 'news', { title: 'Breaking: a publish from the backend' });
  await publishForm('news.sports', 'score', '{"match": "Lyon - Nantes", "score": "3-1"}');
  await page.waitForFunction(() => document.querySelectorAll('#events tr[data-id]').length === 6);

  const seen = (await rows(page)).reverse(); // newest first on screen
  assert.deepEqual(
    seen.map((r) => [r.event, r.channel, r.data]),
    [
      ['message', 'news', '{"title":"Pushy is live","by":"demo page"}'],
      ['score', 'news.sports', '{"match":"Lyon - Nantes","score":"2-1"}'],
      ['forecast', 'news.weather', '{"city":"Paris","temp":21}'],
      ['article.updated', 'news.tech', '{"id":42,"title":"HTTP/2 and SSE"}'],
      ['message', 'news', '{"title":"Breaking: a publish from the backend"}'],
      ['score', 'news.sports', '{"match":"Lyon - Nantes","score":"3-1"}'],
    ],
  );
  assert.equal(seen[0].id, id1);
  assert.equal(seen[2].id, fromBackend);
  for (const row of seen) assert.match(row.latency, /^\d+ ms$/);
  assert.match(await page.textContent('#stats'), /^6 received · median latency \d+ ms$/);

  await page.fill('#publish-channel', 'news.sports');
  await page.fill('#publish-event', 'score');
  await page.evaluate(() => document.activeElement.blur());
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate(() => window.scrollTo(0, 0));
  const target = process.env.UPDATE_SCREENSHOT
    ? join(ROOT, 'demo', 'screenshot.png')
    : join(tmpdir(), 'pushy-demo-screenshot.png');
  await page.screenshot({ path: target });

  assert.equal(
    await publishForm('sports', '', '1'),
    'Publish failed: channel not granted by token',
  );
  assert.match(await publishForm('news', '', '{oops'), /^Data is not JSON/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('/demo without the slash loads the client too; EventSource with listed names from the page', async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${pushy.url}/demo`);
  await page.click('#get-token');
  await page.waitForSelector('#open:not([disabled])');
  await page.fill('#stream-channels', 'news.*');
  await page.selectOption('#transport', 'eventsource');
  await page.fill('#event-names', 'message, quote');
  await page.click('#open');
  await page.waitForFunction(
    () => document.querySelector('#streams li .badge')?.textContent === 'open',
  );
  assert.match(await page.textContent('#streams li code'), /#1 news\.\* \(eventsource\)/);
  await publish(pushy.url, 'news.x', 'unlisted name', 'other');
  const id = await publish(pushy.url, 'news.x', 'via EventSource', 'quote');
  await page.waitForSelector(`#events tr[data-id="${id}"]`);
  assert.equal(await page.$$eval('#events tr[data-id]', (trs) => trs.length), 1);
  await page.click('#streams li button'); // Close
  await page.waitForFunction(
    () => document.querySelector('#streams li .badge')?.textContent === 'closed',
  );
  assert.deepEqual(errors, []);
  await page.close();
});
