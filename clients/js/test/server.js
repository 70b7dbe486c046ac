// Test fixture: the real `pushy` binary on a loopback port, started per test file and stopped by
// PID. Shared by the client tests, the browser tests and the example tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');

export const PUBLISHER = { 'X-Client-ID': 'publisher_id', 'X-Client-Secret': 'publisher_secret' };

// Settings a developer's shell might export; scrubbed so a test sees only what it sets.
const SETTINGS = [
  'AUTH_SECRET_KEY',
  'PUBLISHER_CLIENT_ID',
  'PUBLISHER_CLIENT_SECRET',
  'PORT',
  'HOST',
  'REDIS_URL',
  'HEARTBEAT_INTERVAL',
  'MAX_MESSAGE_BYTES',
  'HISTORY_SIZE',
  'HISTORY_TTL',
  'TOKEN_TTL',
  'MAX_TOKEN_TTL',
  'ALLOWED_ORIGINS',
  'MAX_CONNECTIONS',
  'THREADS',
  'SHUTDOWN_TIMEOUT',
  'REQUEST_TIMEOUT',
  'STREAM_BUFFER_BYTES',
  'LOG_LEVEL',
  'PUSHY_DEMO',
];

export function pushyBinary() {
  if (process.env.PUSHY_BIN) return process.env.PUSHY_BIN;
  for (const preset of ['ci', 'dev', 'release']) {
    const candidate = join(ROOT, 'build', preset, 'src', 'server', 'pushy');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('set PUSHY_BIN to the pushy binary (e.g. build/dev/src/server/pushy)');
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(
  predicate,
  { timeoutMs = 5000, intervalMs = 20, what = 'condition' } = {},
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Starts `pushy --demo` (public demo credentials; `demo: false` for a production-mode node with
 * the same credentials) with `env` on `port` (0: any free port, read back from its log).
 * Resolves once /healthz answers.
 */
export async function startPushy({ env = {}, port = 0, args = [], demo = true } = {}) {
  const cleanEnv = { ...process.env };
  for (const key of SETTINGS) delete cleanEnv[key];
  const mode = demo
    ? { args: ['--demo'], env: {} }
    : {
        args: ['--host', '127.0.0.1'],
        env: {
          AUTH_SECRET_KEY: 'test-key-'.padEnd(72, 'k'),
          PUBLISHER_CLIENT_ID: PUBLISHER['X-Client-ID'],
          PUBLISHER_CLIENT_SECRET: PUBLISHER['X-Client-Secret'],
        },
      };
  const child = spawn(pushyBinary(), [...mode.args, '--port', String(port), ...args], {
    env: { ...cleanEnv, THREADS: '2', SHUTDOWN_TIMEOUT: '2', ...mode.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  let spawnError = null;
  child.once('error', (err) => {
    spawnError = err; // e.g. the binary is being rebuilt: fail the start, not the process
  });
  const collect = (chunk) => {
    log += chunk;
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const bound = await waitFor(
    () => {
      if (spawnError) throw new Error(`cannot start ${pushyBinary()}: ${spawnError.message}`);
      if (child.exitCode !== null) throw new Error(`pushy exited with ${child.exitCode}:\n${log}`);
      return /listening on 127\.0\.0\.1:(\d+)/.exec(log)?.[1];
    },
    { timeoutMs: 10000, what: 'pushy to listen' },
  );
  const url = `http://127.0.0.1:${bound}`;
  await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok, {
    what: '/healthz',
  });
  return {
    url,
    port: Number(bound),
    pid: child.pid,
    log: () => log,
    exited,
    /** SIGTERM (graceful drain); resolves with the exit status. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
}

export async function mintToken(url, channels, { ttl, sub = 'test-user' } = {}) {
  const res = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { ...PUBLISHER, 'Content-Type': 'application/json' },
    body: JSON.stringify({ sub, channels, ttl }),
  });
  if (!res.ok) throw new Error(`POST /token: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function publish(url, channel, data, event) {
  const res = await fetch(`${url}/publish/${encodeURIComponent(channel)}`, {
    method: 'POST',
    headers: { ...PUBLISHER, 'Content-Type': 'application/json' },
    body: JSON.stringify({ data, event }),
  });
  if (!res.ok) throw new Error(`POST /publish/${channel}: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

export async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}
