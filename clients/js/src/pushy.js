// pushy-client: subscribe to Pushy's Server-Sent Events streams and publish with a client token.
// One self-contained ES module with no imports, so a browser can load it as is (the demo node
// serves it at /demo/pushy.js) and Node 20+ can import it. See README.md for the API.

export const VERSION = '0.1.0';

const RESERVED = 'pushy.';
const DEFAULT_RETRY = { initialMs: 1000, maxMs: 30000, jitter: true, maxAttempts: Infinity };
// A token this close to `exp` (at most) is refreshed before it opens a new connection.
const EXPIRY_MARGIN_MS = 5000;
const FATAL_STATUSES = new Set([400, 403, 404, 405, 410, 413, 414, 415, 431]);

/** Error passed to `error` handlers and thrown by publish(). */
export class PushyError extends Error {
  constructor(message, { status = 0, code = 'error', fatal = false, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PushyError';
    this.status = status;
    this.code = code;
    this.fatal = fatal;
  }
}

/**
 * Incremental parser for text/event-stream, as the HTML standard's "interpret an event stream"
 * describes it: one leading BOM dropped, CRLF/CR/LF line ends (also split across chunks),
 * comments, `data` lines joined with LF, `id` without NUL, numeric `retry`, unknown fields
 * ignored, and an event left incomplete at the end of the stream discarded.
 */
export class SseParser {
  constructor({ onEvent, onRetry, onComment } = {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.onComment = onComment;
    this.lastEventId = '';
    this._buf = '';
    this._atStart = true;
    this._skipLf = false;
    this._data = '';
    this._hasData = false;
    this._event = '';
    this._idBuf = '';
  }

  /** Feeds decoded text (decode bytes with TextDecoder('utf-8', {ignoreBOM: true})). */
  push(text) {
    if (!text) return;
    if (this._skipLf) {
      this._skipLf = false;
      if (text.charCodeAt(0) === 10) text = text.slice(1);
    }
    if (this._atStart && text) {
      this._atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const buf = this._buf + text;
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = buf.slice(start, i);
      if (c === 13) {
        if (i + 1 < buf.length) {
          if (buf.charCodeAt(i + 1) === 10) i++;
        } else {
          this._skipLf = true;
        }
      }
      start = i + 1;
      this._line(line);
    }
    this._buf = buf.slice(start);
  }

  _line(line) {
    if (line === '') return this._dispatch();
    if (line.charCodeAt(0) === 58) return this.onComment?.(line.slice(1));
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      this._data = this._hasData ? this._data + '\n' + value : value;
      this._hasData = true;
    } else if (field === 'event') {
      this._event = value;
    } else if (field === 'id') {
      if (!value.includes('\0')) this._idBuf = value;
    } else if (field === 'retry') {
      if (/^[0-9]+$/.test(value)) this.onRetry?.(Number(value));
    }
  }

  _dispatch() {
    this.lastEventId = this._idBuf;
    const hasData = this._hasData;
    const data = this._data;
    const type = this._event || 'message';
    this._data = '';
    this._hasData = false;
    this._event = '';
    if (hasData) this.onEvent?.({ type, data, lastEventId: this.lastEventId });
  }
}

// When a token should be replaced before it is used for a new connection, in ms since the
// epoch: shortly before its `exp` (5 s, or a tenth of its lifetime for short-lived ones).
// Undefined when it has no readable `exp`. The claims are only read, never trusted.
function tokenRefreshAtMs(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const { exp, iat } = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
    if (typeof exp !== 'number') return undefined;
    const lifetime = typeof iat === 'number' ? (exp - iat) * 1000 : Infinity;
    return exp * 1000 - Math.min(EXPIRY_MARGIN_MS, lifetime / 10);
  } catch {
    return undefined;
  }
}

function normalizeToken(value) {
  const token = typeof value === 'string' ? value : value?.token;
  if (typeof token !== 'string' || !token) {
    throw new PushyError('getToken() must return a token string or {token}', { code: 'token' });
  }
  return token;
}

function retryAfterMs(res) {
  const seconds = Number(res.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 0;
}

async function errorMessage(res) {
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') return body.error;
  } catch {
    // Not JSON (a proxy's page, say): the status says enough.
  }
  return `HTTP ${res.status}`;
}

function defaultBaseUrl() {
  return globalThis.location?.origin && globalThis.location.origin !== 'null'
    ? globalThis.location.origin
    : undefined;
}

/** A connection to one Pushy node (or a proxy in front of a cluster). */
export class PushyClient {
  constructor(options = {}) {
    const base = options.url ?? defaultBaseUrl();
    if (!base) throw new TypeError('PushyClient: `url` is required outside a browser page');
    this.url = new URL(base, globalThis.location?.href).href.replace(/\/?$/, '/');
    if (!options.token && !options.getToken) {
      throw new TypeError('PushyClient: give `token` or `getToken`');
    }
    this._token = options.token;
    this._getToken = options.getToken;
    this._tokenRequest = null;
    this.transport = options.transport ?? 'auto';
    if (!['auto', 'fetch', 'eventsource'].includes(this.transport)) {
      throw new TypeError(`PushyClient: unknown transport ${this.transport}`);
    }
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.maxAuthFailures = options.maxAuthFailures ?? 3;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 0;
    this._fetch = options.fetch ?? globalThis.fetch?.bind(globalThis);
    this._EventSource = options.EventSource ?? globalThis.EventSource;
    this._subscriptions = new Set();
  }

  /** Opens one stream on a channel, a pattern, or several of them. */
  subscribe(channels, options = {}) {
    const sub = new Subscription(this, channels, options);
    this._subscriptions.add(sub);
    return sub;
  }

  /** Publishes with the client token; an array of channels publishes one event to each. */
  async publish(channel, data, { event, signal } = {}) {
    const batch = Array.isArray(channel);
    const target = batch ? 'publish' : `publish/${encodeURIComponent(channel)}`;
    const body = JSON.stringify(batch ? { channels: channel, data, event } : { data, event });
    let token = await this.token();
    for (let attempt = 0; ; attempt++) {
      const res = await this._fetch(new URL(target, this.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body,
        signal,
      });
      if (res.ok) return res.json();
      if (res.status === 401 && this._getToken && attempt === 0) {
        token = await this.token({ reason: 'unauthorized', stale: token });
        continue;
      }
      throw new PushyError(await errorMessage(res), { status: res.status, code: 'http' });
    }
  }

  /**
   * The token to use now. Calls getToken() when there is none, when it is about to expire, or
   * when `stale` is the current one; concurrent callers share one getToken() call.
   */
  async token({ reason, stale } = {}) {
    const current = this._token;
    const refreshAt = current && tokenRefreshAtMs(current);
    const expiring = refreshAt !== undefined && Date.now() >= refreshAt;
    if (current && current !== stale && !expiring) return current;
    reason = !current ? 'initial' : current === stale ? (reason ?? 'unauthorized') : 'expired';
    if (!this._getToken) {
      if (current) return current;
      throw new PushyError('no token', { code: 'token', fatal: true });
    }
    if (!this._tokenRequest) {
      this._tokenRequest = (async () => {
        try {
          this._token = normalizeToken(await this._getToken({ reason }));
          return this._token;
        } finally {
          this._tokenRequest = null;
        }
      })();
    }
    return this._tokenRequest;
  }

  /** Closes every subscription of this client. */
  close() {
    for (const sub of [...this._subscriptions]) sub.close();
  }

  // One channel: /channels/{c}/stream; several: /stream?channels=a,b.* (commas kept literal).
  _streamUrl(channels, params) {
    const list = Array.isArray(channels) ? channels : [channels];
    const query = list.length === 1 ? [] : [`channels=${list.map(encodeURIComponent).join(',')}`];
    for (const [key, value] of Object.entries(params)) {
      if (value) query.push(`${key}=${encodeURIComponent(value)}`);
    }
    const path = list.length === 1 ? `channels/${encodeURIComponent(list[0])}/stream` : 'stream';
    return new URL(query.length ? `${path}?${query.join('&')}` : path, this.url).href;
  }
}

/** One stream. Created by PushyClient.subscribe(); starts connecting in the next microtask. */
export class Subscription {
  constructor(client, channels, options) {
    const list = Array.isArray(channels) ? [...channels] : [channels];
    if (list.length === 0 || list.some((c) => typeof c !== 'string' || !c)) {
      throw new TypeError('subscribe: give a channel, a pattern or a non-empty array of them');
    }
    this.client = client;
    this.channels = list;
    this._lastId = options.lastEventId ?? '';
    this._transport = resolveTransport(options.transport ?? client.transport, client);
    this._handlers = new Map();
    this._esNames = new Set(['message', ...(options.events ?? [])]);
    this._state = 'connecting';
    this._closed = false;
    this._gen = 0;
    this._interrupt = null; // ends the current attempt: set by each transport
    this._es = null;
    this._esListener = null;
    this._timer = null;
    this._wake = null;
    this._serverRetryMs = undefined;
    queueMicrotask(() =>
      this._run().catch((err) =>
        this._fail(new PushyError(String(err?.message ?? err), { cause: err })),
      ),
    );
  }

  get state() {
    return this._state;
  }

  get lastEventId() {
    return this._lastId;
  }

  get transport() {
    return this._transport;
  }

  /**
   * Adds a handler; returns a function that removes it. Names: an event name (`message` for
   * unnamed publishes) or `*` for every event: handler(data, {id, event, channel, ts}); `reset`:
   * handler({reason, message, id}); `state`: handler(state, {attempt, delayMs, error}); `error`:
   * handler(PushyError); `tokenExpiring`: handler({expiresAt}). Use onEvent() for an application
   * event that shares one of these four names.
   */
  on(name, handler) {
    const lifecycle = ['reset', 'state', 'error', 'tokenExpiring'].includes(name);
    return this._add(lifecycle ? `@${name}` : name, handler);
  }

  /** Like on(), but `name` is always an application event name. */
  onEvent(name, handler) {
    return this._add(name, handler);
  }

  off(name, handler) {
    for (const key of [name, `@${name}`]) this._handlers.get(key)?.delete(handler);
  }

  /** Stops for good: aborts the request or closes the EventSource and cancels every timer. */
  close() {
    this._close({});
  }

  _close(info) {
    if (this._closed) return;
    this._closed = true;
    this._gen++;
    clearTimeout(this._timer);
    this._wake?.();
    this._interrupt?.('closed');
    this.client._subscriptions.delete(this);
    this._setState('closed', info);
  }

  _add(key, handler) {
    if (typeof handler !== 'function') throw new TypeError('handler must be a function');
    if (!this._handlers.has(key)) this._handlers.set(key, new Set());
    this._handlers.get(key).add(handler);
    if (!key.startsWith('@') && key !== '*' && !this._esNames.has(key)) {
      this._esNames.add(key);
      this._es?.addEventListener(key, this._esListener);
    }
    return () => this._handlers.get(key)?.delete(handler);
  }

  _emit(key, ...args) {
    for (const handler of [...(this._handlers.get(key) ?? [])]) {
      try {
        handler(...args);
      } catch (err) {
        // A throwing handler must not stop the stream; report it where errors are seen.
        if (key !== '@error' && this._handlers.get('@error')?.size) {
          this._emit(
            '@error',
            new PushyError(`handler failed: ${err}`, { code: 'handler', cause: err }),
          );
        } else {
          setTimeout(() => {
            throw err;
          });
        }
      }
    }
  }

  _setState(state, info) {
    if (this._state === state && state !== 'reconnecting') return;
    this._state = state;
    this._emit('@state', state, info);
  }

  async _run() {
    if (this._closed) return;
    this._emit('@state', 'connecting', { attempt: 0 });
    const tally = { failures: 0, authFailures: 0, refresh: null };
    while (!this._closed) {
      let token;
      try {
        token = await this.client.token(tally.refresh ?? {});
      } catch (err) {
        if (!(await this._afterTokenError(err, tally))) return;
        continue;
      }
      tally.refresh = null;
      if (this._closed) return;
      const outcome = await this._attempt(token);
      if (this._closed || outcome.kind === 'closed') return;
      if (outcome.kind === 'handover') continue; // the token is fresh; the state stays open
      const next = this._nextStep(outcome, token, tally);
      if (next.fatal) return this._fail(next.fatal);
      if (next.error && !next.quiet) this._emit('@error', next.error);
      if (!(await this._pause(next.delayMs, tally.failures, next.error))) return;
    }
  }

  // After getToken() threw: true to try again (after a pause), false when stopped.
  async _afterTokenError(err, tally) {
    if (this._closed) return false;
    const wrapped = err instanceof PushyError ? err : tokenError(err);
    // getToken() may throw an error with `fatal: true` (user logged out, a 4xx): stop then.
    if (err.fatal) {
      this._fail(wrapped);
      return false;
    }
    this._emit('@error', wrapped);
    tally.failures++;
    return this._pause(this._backoff(tally.failures), tally.failures, wrapped);
  }

  // What follows an attempt: {delayMs, error, quiet} to try again, or {fatal} to give up.
  _nextStep(outcome, token, tally) {
    const { retry, maxAuthFailures } = this.client;
    if (outcome.opened) {
      tally.failures = 0;
      tally.authFailures = 0;
    }
    if (outcome.kind === 'http' && outcome.status === 401) {
      const error = refusal(outcome, 'unauthorized');
      tally.authFailures++;
      if (!this.client._getToken || tally.authFailures >= maxAuthFailures) return { fatal: error };
      tally.refresh = { reason: 'unauthorized', stale: token };
      const delayMs = tally.authFailures === 1 ? 0 : this._backoff(tally.authFailures - 1);
      return { error, delayMs };
    }
    if (outcome.kind === 'http' && FATAL_STATUSES.has(outcome.status)) {
      return { fatal: refusal(outcome, 'http') };
    }
    if (outcome.opened) {
      // The stream ended (token expiry, node drain, network): come back soon, spread out.
      const base = Math.min(this._serverRetryMs ?? retry.initialMs, retry.maxMs);
      return { delayMs: this._jitter(base), error: outcome.error, quiet: true };
    }
    tally.failures++;
    const error = outcome.error ?? refusal(outcome, 'http');
    if (tally.failures >= retry.maxAttempts) return { fatal: error };
    const retryAfter = Math.min(outcome.retryAfterMs ?? 0, retry.maxMs);
    return { error, delayMs: Math.max(this._backoff(tally.failures), retryAfter) };
  }

  _fail(err) {
    err.fatal = true;
    this._emit('@error', err);
    this._close({ error: err });
  }

  _jitter(ms) {
    return this.client.retry.jitter ? Math.floor(Math.random() * ms) : ms;
  }

  _backoff(failures) {
    const { initialMs, maxMs } = this.client.retry;
    return this._jitter(Math.min(maxMs, initialMs * 2 ** Math.min(failures - 1, 30)));
  }

  // Waits `delayMs` in state reconnecting; false when close() came first.
  _pause(delayMs, attempt, error) {
    this._setState('reconnecting', { attempt, delayMs, error });
    if (this._closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this._wake = () => resolve(false);
      this._timer = setTimeout(() => {
        this._wake = null;
        resolve(!this._closed);
      }, delayMs);
    });
  }

  _opened() {
    this._setState('open', {});
  }

  _attempt(token) {
    const gen = ++this._gen;
    return this._transport === 'eventsource'
      ? this._attemptEventSource(token, gen)
      : this._attemptFetch(token, gen);
  }

  async _attemptFetch(token, gen) {
    const ctrl = new AbortController();
    let reason = null;
    let idleTimer = null;
    this._interrupt = (why) => {
      reason ??= why;
      ctrl.abort();
    };
    const armIdle = () => {
      if (!this.client.idleTimeoutMs) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => this._interrupt?.('idle'), this.client.idleTimeoutMs);
    };
    const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
    if (this._lastId) headers['Last-Event-ID'] = this._lastId;
    let opened = false;
    try {
      const res = await this.client._fetch(this.client._streamUrl(this.channels, {}), {
        headers,
        cache: 'no-store',
        signal: ctrl.signal,
      });
      const type = res.headers.get('content-type') ?? '';
      if (res.status !== 200 || !type.startsWith('text/event-stream')) {
        const message =
          res.status === 200 ? `unexpected Content-Type ${type}` : await errorMessage(res);
        return { kind: 'http', status: res.status, message, retryAfterMs: retryAfterMs(res) };
      }
      opened = true;
      this._opened();
      armIdle();
      const parser = this._parser(gen, token);
      const reader = res.body.getReader();
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      for (;;) {
        const { value, done } = await reader.read();
        if (done || reason) break;
        armIdle();
        parser.push(decoder.decode(value, { stream: true }));
      }
      return { kind: reason ?? 'ended', opened };
    } catch (error) {
      return reason
        ? { kind: reason, opened }
        : { kind: 'network', opened, error: networkError(error) };
    } finally {
      clearTimeout(idleTimer);
      ctrl.abort();
    }
  }

  _parser(gen, token) {
    return new SseParser({
      onEvent: (e) => this._onSse(e, gen, token),
      onRetry: (ms) => {
        this._serverRetryMs = ms;
      },
    });
  }

  _attemptEventSource(token, gen) {
    const ES = this.client._EventSource;
    const url = this.client._streamUrl(this.channels, { token, lastEventId: this._lastId });
    return new Promise((resolve) => {
      const es = new ES(url);
      let opened = false;
      let settled = false;
      const finish = (outcome) => {
        if (settled) return;
        settled = true;
        es.close();
        if (this._es === es) this._es = null;
        resolve(outcome);
      };
      this._es = es;
      this._esListener = (e) =>
        this._onSse({ type: e.type, data: e.data, lastEventId: e.lastEventId }, gen, token);
      for (const name of [...this._esNames, 'pushy.reset', 'pushy.token_expiring']) {
        es.addEventListener(name, this._esListener);
      }
      this._interrupt = (why) => finish({ kind: why, opened });
      es.onopen = () => {
        opened = true;
        this._opened();
      };
      es.onerror = () => {
        if (settled) return;
        // We reconnect ourselves (fresh token, last id in the URL), never the browser.
        if (opened) return finish({ kind: 'ended', opened });
        es.close();
        // EventSource hides the status; ask once so a 401, 403 or 503 is handled as such.
        const probe = new AbortController();
        this._interrupt = (why) => {
          probe.abort();
          finish({ kind: why, opened });
        };
        this._probe(url, probe).then(finish);
      };
    });
  }

  async _probe(url, ctrl) {
    try {
      const res = await this.client._fetch(url, { cache: 'no-store', signal: ctrl.signal });
      if (res.status === 200)
        return { kind: 'network', error: new PushyError('stream failed', { code: 'network' }) };
      return {
        kind: 'http',
        status: res.status,
        message: await errorMessage(res),
        retryAfterMs: retryAfterMs(res),
      };
    } catch (error) {
      return { kind: 'network', error: networkError(error) };
    } finally {
      ctrl.abort();
    }
  }

  _onSse({ type, data, lastEventId }, gen, token) {
    if (gen !== this._gen || this._closed) return;
    if (lastEventId) this._lastId = lastEventId;
    let body;
    try {
      body = JSON.parse(data);
    } catch (err) {
      this._emit(
        '@error',
        new PushyError(`event ${type} has data that is not JSON`, { code: 'parse', cause: err }),
      );
      return;
    }
    if (type === 'pushy.token_expiring') {
      this._emit('@tokenExpiring', { expiresAt: body?.expires_at });
      if (this.client._getToken) this._handover(gen, token);
    } else if (type === 'pushy.reset') {
      this._emit('@reset', { reason: body?.reason, message: body?.message, id: lastEventId });
    } else if (!type.startsWith(RESERVED)) {
      const meta = { id: lastEventId, event: type, channel: body?.channel, ts: body?.ts };
      this._emit(type, body?.data, meta);
      this._emit('*', body?.data, meta);
    }
  }

  // Fetches a fresh token while the old stream still runs, then switches streams at once; the
  // new one resumes from the last id, so nothing is lost and nothing repeats.
  async _handover(gen, token) {
    try {
      await this.client.token({ reason: 'expiring', stale: token });
    } catch (err) {
      this._emit('@error', tokenError(err));
      return;
    }
    if (gen !== this._gen || this._closed) return;
    this._gen++; // events still queued on the old stream are dropped: the new one replays them
    this._interrupt?.('handover');
  }
}

function refusal(outcome, code) {
  return new PushyError(`stream refused: ${outcome.message}`, { status: outcome.status, code });
}

function tokenError(error) {
  return new PushyError(`getToken() failed: ${error?.message ?? error}`, {
    code: 'token',
    status: error?.status ?? 0,
    cause: error,
  });
}

function networkError(error) {
  return new PushyError(`network error: ${error?.cause?.code ?? error?.message ?? error}`, {
    code: 'network',
    cause: error,
  });
}

function resolveTransport(name, client) {
  if (name === 'auto') name = client._EventSource ? 'eventsource' : 'fetch';
  if (name === 'eventsource' && !client._EventSource) {
    throw new TypeError('transport eventsource: no EventSource here (use fetch)');
  }
  if (name === 'fetch' && !client._fetch) throw new TypeError('transport fetch: no fetch() here');
  return name;
}
