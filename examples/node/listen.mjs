#!/usr/bin/env node
// Listens on channels and patterns with the JS client and prints each event as it arrives.
//
//   node examples/node/listen.mjs                      # news and news.*
//   node examples/node/listen.mjs 'orders.**' alerts --count 5
//
// One stream covers every channel given. The client reconnects by itself with the last event id
// (nothing is missed while history lasts), refreshes its token before it expires, and reports
// pushy.reset when the node could not replay (it restarted, or you were away too long).
import { PushyClient } from '../../clients/js/src/pushy.js'; // in your app: from 'pushy-client'
import { PUSHY_URL, mintToken, parseArgs } from './common.mjs';

const USAGE = `usage: node listen.mjs [channel|pattern ...] [--count N] [--sub NAME]
Prints "<id> <event> <channel> <data>" per event; exits after N events when --count is given.`;
const { positional, options } = parseArgs(process.argv.slice(2), USAGE);
const channels = positional.length ? positional : ['news', 'news.*'];
const count = options.count ? Number(options.count) : Infinity;
const sub = options.sub ?? `listener-${process.pid}`;

const client = new PushyClient({
  url: PUSHY_URL,
  // Called at start, when pushy.token_expiring arrives, and after a 401.
  getToken: () => mintToken(sub, channels),
});
const stream = client.subscribe(channels);
let received = 0;

stream.on('*', (data, { id, event, channel }) => {
  console.log(`${id} ${event} ${channel} ${JSON.stringify(data)}`);
  if (++received >= count) stream.close();
});
stream.on('reset', ({ reason, id }) =>
  console.log(`${id} pushy.reset ${reason}: reload your state here`),
);
stream.on('state', (state, { error, delayMs }) => {
  if (state === 'open') console.error(`listening on ${channels.join(', ')} at ${PUSHY_URL}`);
  if (state === 'reconnecting')
    console.error(`reconnecting in ${delayMs} ms (${error?.message ?? 'stream ended'})`);
});
stream.on('error', (err) => {
  if (err.fatal) {
    console.error(`giving up: ${err.message}`);
    process.exitCode = 1;
  }
});
process.on('SIGINT', () => stream.close());
