#!/usr/bin/env node
// Publishes one event with the JS client, using a client token granted that channel (what a
// browser or a service would do; your backend could also publish with its credentials).
//
//   node examples/node/publish.mjs news '{"title":"Hello"}'
//   node examples/node/publish.mjs news.sports '{"score":"2-1"}' --event score
import { PushyClient } from '../../clients/js/src/pushy.js'; // in your app: from 'pushy-client'
import { PUSHY_URL, mintToken, parseArgs } from './common.mjs';

const USAGE = `usage: node publish.mjs <channel> [json-data] [--event NAME]
Prints the event id. Data defaults to {"text":"hello from node"}.`;
const { positional, options } = parseArgs(process.argv.slice(2), USAGE);
const [channel, json = '{"text":"hello from node"}'] = positional;
if (!channel) {
  console.error(USAGE);
  process.exit(2);
}

try {
  const { token } = await mintToken(`publisher-${process.pid}`, [channel], 60);
  const client = new PushyClient({ url: PUSHY_URL, token });
  const { id } = await client.publish(channel, JSON.parse(json), { event: options.event });
  console.log(id);
} catch (err) {
  console.error(`publish failed: ${err.message}`);
  process.exitCode = 1;
}
