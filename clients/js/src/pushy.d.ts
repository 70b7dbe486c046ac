// Type declarations for pushy-client (src/pushy.js).

export declare const VERSION: string;

/** What POST /token answers; getToken() may return it as is. */
export interface TokenResponse {
  token: string;
  expires_at?: number;
}

export type TokenReason =
  /** No token yet. */
  | 'initial'
  /** The server sent pushy.token_expiring for the token in use. */
  | 'expiring'
  /** The token in hand is past (or within seconds of) its `exp`. */
  | 'expired'
  /** The server answered 401 to the token in use. */
  | 'unauthorized';

export type GetToken = (context: {
  reason: TokenReason;
}) => Promise<string | TokenResponse> | string | TokenResponse;

export type Transport = 'auto' | 'eventsource' | 'fetch';

export interface RetryOptions {
  /** First delay after a failed attempt, doubled per failure. Default 1000. */
  initialMs?: number;
  /** Largest delay, also the cap on a server's Retry-After. Default 30000. */
  maxMs?: number;
  /** Full jitter: wait a random time between 0 and the delay. Default true. */
  jitter?: boolean;
  /** Failed attempts in a row before giving up (state closed, fatal error). Default Infinity. */
  maxAttempts?: number;
}

export interface PushyClientOptions {
  /** Base URL of the node or proxy, e.g. "https://push.example.com" (a path prefix is kept). Default in a page: its origin. */
  url?: string | URL;
  /** A client token. Give getToken too, or the client cannot recover when it expires. */
  token?: string;
  /** Returns a fresh token; called at first use, on pushy.token_expiring, after a 401 and when the token in hand expired. Concurrent calls are shared. */
  getToken?: GetToken;
  /** "eventsource": the browser's EventSource, token in the `token` query parameter. "fetch": fetch() streaming with `Authorization: Bearer` (Node 20+, or browsers where tokens must stay out of URLs). "auto" (default): eventsource where it exists, else fetch. */
  transport?: Transport;
  retry?: RetryOptions;
  /** 401s in a row (each followed by getToken()) before giving up. Default 3. */
  maxAuthFailures?: number;
  /** fetch transport: reconnect when nothing (not even a heartbeat) arrived for this long. 0 (default) disables; use about 3 x HEARTBEAT_INTERVAL. */
  idleTimeoutMs?: number;
  /** fetch() to use instead of globalThis.fetch. */
  fetch?: typeof fetch;
  /** EventSource constructor to use instead of globalThis.EventSource. */
  EventSource?: { new (url: string): EventSource; readonly CLOSED: number };
}

export interface SubscribeOptions {
  /** Resume after this event id (from an earlier subscription's lastEventId). */
  lastEventId?: string;
  /** Overrides the client's transport for this stream. */
  transport?: Transport;
  /** eventsource transport: event names to listen for besides "message" and those given to on(); "*" only sees these. */
  events?: string[];
}

export interface EventMeta {
  /** The event id, for Last-Event-ID. */
  id: string;
  /** The event name ("message" when the publisher gave none). */
  event: string;
  /** The concrete channel the event was published to. */
  channel: string;
  /** When the node accepted it, ms since the epoch. */
  ts: number;
}

export interface ResetInfo {
  /** "unknown_history" (the node restarted, or the id is not Pushy's), "history_gap", or "history_lost". */
  reason: string;
  message: string;
  /** The node's newest id; later reconnects resume from here. */
  id: string;
}

export type State = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateInfo {
  /** Failed attempts in a row (reconnecting). */
  attempt?: number;
  /** The pause before the next attempt (reconnecting). */
  delayMs?: number;
  /** Why the last attempt failed (reconnecting), or why the subscription gave up (closed). */
  error?: PushyError;
}

export type EventHandler<T = unknown> = (data: T, meta: EventMeta) => void;

export declare class PushyError extends Error {
  constructor(
    message: string,
    options?: { status?: number; code?: string; fatal?: boolean; cause?: unknown },
  );
  /** HTTP status when the server answered, else 0. */
  status: number;
  /** "http", "unauthorized", "network", "token" (getToken failed), "parse" (data not JSON), "handler" (a handler threw). */
  code: string;
  /** True when the subscription gave up because of it (it is then closed). */
  fatal: boolean;
}

export declare class PushyClient {
  constructor(options: PushyClientOptions);
  /** The base URL, ending in "/". */
  readonly url: string;
  readonly transport: Transport;
  /** Opens one stream on a channel, a pattern ("news.*", "news.**"), or several of them. */
  subscribe(channels: string | string[], options?: SubscribeOptions): Subscription;
  /** Publishes one event with the client token; resolves with its id. */
  publish(
    channel: string,
    data: unknown,
    options?: { event?: string; signal?: AbortSignal },
  ): Promise<{ id: string }>;
  /** Publishes one event to each channel. */
  publish(
    channels: string[],
    data: unknown,
    options?: { event?: string; signal?: AbortSignal },
  ): Promise<{ ids: string[] }>;
  /** The token to use now, asking getToken() when needed. */
  token(options?: { reason?: TokenReason; stale?: string }): Promise<string>;
  /** Closes every subscription. */
  close(): void;
}

export declare class Subscription {
  readonly client: PushyClient;
  readonly channels: string[];
  readonly state: State;
  /** The newest event id seen: store it to resume later with subscribe(..., {lastEventId}). */
  readonly lastEventId: string;
  readonly transport: 'eventsource' | 'fetch';
  /** pushy.reset: events may have been missed; reload state from your source of truth. */
  on(name: 'reset', handler: (reset: ResetInfo) => void): () => void;
  /** Every state change, and every scheduled retry while reconnecting. */
  on(name: 'state', handler: (state: State, info: StateInfo) => void): () => void;
  /** Failed attempts (fatal: false, a retry follows) and the reason for giving up (fatal: true). */
  on(name: 'error', handler: (error: PushyError) => void): () => void;
  /** pushy.token_expiring arrived; with getToken the client already switches tokens by itself. */
  on(name: 'tokenExpiring', handler: (info: { expiresAt: number }) => void): () => void;
  /** Application events: one name, "message" for unnamed publishes, or "*" for all. Returns an unsubscribe function. */
  on<T = unknown>(name: string, handler: EventHandler<T>): () => void;
  /** An application event, even one named "reset", "state", "error" or "tokenExpiring". */
  onEvent<T = unknown>(name: string, handler: EventHandler<T>): () => void;
  off(name: string, handler: (...args: any[]) => void): void;
  /** Stops for good: aborts the request or closes the EventSource and cancels every timer. */
  close(): void;
}

/** The event-stream parser the fetch transport uses (HTML standard rules). */
export declare class SseParser {
  constructor(handlers?: {
    onEvent?: (event: { type: string; data: string; lastEventId: string }) => void;
    onRetry?: (ms: number) => void;
    onComment?: (text: string) => void;
  });
  readonly lastEventId: string;
  /** Feeds decoded text (TextDecoder('utf-8', {ignoreBOM: true}) with {stream: true}). */
  push(text: string): void;
}
