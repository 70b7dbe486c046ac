// Browser test fixtures: Debian's Chromium driven by playwright-core (never a downloaded
// browser), a fresh profile per launch, and a page on its own origin that loads the JS client,
// so every request to Pushy is cross-origin as in a real deployment.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export {
  metric,
  mintToken,
  publish,
  sleep,
  startPushy,
  waitFor,
} from '../../clients/js/test/server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
export const CLIENT_JS = join(ROOT, 'clients', 'js', 'src', 'pushy.js');
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium with a fresh user-data dir; close() also removes the profile. */
export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'pushy-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Loads the client as window.Pushy and keeps what subscriptions report in window.log.
const HARNESS = `<!doctype html><meta charset="utf-8"><title>harness</title>
<script type="module">
  import * as Pushy from '/pushy.js';
  window.Pushy = Pushy;
  window.log = [];
  window.subs = {};
  // Subscribes with the client library and records everything it reports under \`name\`.
  window.watch = (name, client, channels, options) => {
    const sub = client.subscribe(channels, options);
    window.subs[name] = sub;
    sub.on('*', (data, m) => log.push({ sub: name, kind: 'event', id: m.id, event: m.event, channel: m.channel, data }));
    sub.on('reset', (r) => log.push({ sub: name, kind: 'reset', id: r.id, reason: r.reason }));
    sub.on('state', (s) => log.push({ sub: name, kind: 'state', state: s }));
    sub.on('error', (e) => log.push({ sub: name, kind: 'error', status: e.status, code: e.code, fatal: e.fatal }));
    return sub;
  };
  // The browser's own EventSource, no library: records events of the given names.
  window.native = (name, url, names) => {
    const es = new EventSource(url);
    window.subs[name] = es;
    for (const type of names) {
      es.addEventListener(type, (e) => {
        const body = JSON.parse(e.data);
        log.push({ sub: name, kind: type === 'pushy.reset' ? 'reset' : 'event', id: e.lastEventId, event: type, channel: body.channel, data: body.data, reason: body.reason });
      });
    }
    es.onopen = () => log.push({ sub: name, kind: 'state', state: 'open' });
    es.onerror = () => log.push({ sub: name, kind: 'state', state: es.readyState === 2 ? 'closed' : 'error' });
    return es;
  };
  window.ready = true;
</script>`;

/** Serves the harness page at / and the client at /pushy.js on a loopback port of its own. */
export async function startPageServer() {
  const server = createServer((req, res) => {
    if (req.url === '/pushy.js') {
      res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-store',
      });
      res.end(readFileSync(CLIENT_JS));
    } else if (req.url === '/' || req.url.startsWith('/?')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(HARNESS);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Opens the harness page; page errors are collected in `errors`, request URLs in `requests`. */
export async function openHarness(context, pageServer) {
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('request', (req) => requests.push(req.url()));
  await page.goto(pageServer.url);
  await page.waitForFunction(() => window.ready === true);
  return { page, errors, requests };
}

/** Waits until `predicate(log)` (run in the page) is true; returns the page's log. */
export async function waitForLog(page, predicate, arg, timeout = 10000) {
  await page.waitForFunction(predicate, arg, { timeout, polling: 50 });
  return page.evaluate(() => window.log);
}
