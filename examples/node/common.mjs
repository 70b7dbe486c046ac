// What the examples share: where the node is and how a backend mints a client token. In your
// app, minting happens on your server (it holds the publisher secret), and the browser or
// service that listens only ever sees the token.
export const PUSHY_URL = process.env.PUSHY_URL ?? 'http://127.0.0.1:4000';
const CLIENT_ID = process.env.PUSHY_CLIENT_ID ?? 'publisher_id';
const CLIENT_SECRET = process.env.PUSHY_CLIENT_SECRET ?? 'publisher_secret';

/** POST /token with the publisher credentials: {token, expires_at}. */
export async function mintToken(sub, channels, ttl) {
  const res = await fetch(`${PUSHY_URL}/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-Client-ID': CLIENT_ID,
      'X-Client-Secret': CLIENT_SECRET,
    },
    body: JSON.stringify({ sub, channels, ttl }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(`POST /token: ${res.status} ${body.error ?? ''}`);
    // A 4xx will not get better by retrying: `fatal` makes the client give up at once.
    err.fatal = res.status >= 400 && res.status < 500;
    throw err;
  }
  return body;
}

/** Splits argv into positional arguments and --name value options. */
export function parseArgs(argv, usage) {
  const positional = [];
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-h' || argv[i] === '--help') {
      console.log(usage);
      process.exit(0);
    } else if (argv[i].startsWith('--')) {
      options[argv[i].slice(2)] = argv[++i];
    } else {
      positional.push(argv[i]);
    }
  }
  return { positional, options };
}
