// SseParser against the HTML standard's event-stream rules. Every case is fed whole, one
// character at a time, and split at every position, since network chunks can cut anywhere
// (between CR and LF too).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from '../src/pushy.js';

function parse(chunks) {
  const out = [];
  const parser = new SseParser({
    onEvent: (e) => out.push(['event', e.type, e.data, e.lastEventId]),
    onRetry: (ms) => out.push(['retry', ms]),
    onComment: (text) => out.push(['comment', text]),
  });
  for (const chunk of chunks) parser.push(chunk);
  return out;
}

function splits(text) {
  const ways = [[text], [...text]];
  for (let i = 1; i < text.length; i++) ways.push([text.slice(0, i), text.slice(i)]);
  return ways;
}

const CASES = [
  {
    name: 'a Pushy event (LF)',
    input: 'retry: 1500\n\nid: e-1\nevent: message\ndata: {"channel":"news","data":1,"ts":5}\n\n',
    want: [
      ['retry', 1500],
      ['event', 'message', '{"channel":"news","data":1,"ts":5}', 'e-1'],
    ],
  },
  {
    name: 'CRLF line ends',
    input: 'id: 7\r\nevent: x\r\ndata: a\r\n\r\n',
    want: [['event', 'x', 'a', '7']],
  },
  {
    name: 'CR line ends',
    input: 'id: 7\revent: x\rdata: a\r\r',
    want: [['event', 'x', 'a', '7']],
  },
  {
    name: 'mixed line ends',
    input: 'data: a\r\ndata: b\rdata: c\n\r\n',
    want: [['event', 'message', 'a\nb\nc', '']],
  },
  {
    name: 'one leading BOM is dropped, a second one is not',
    input: '\uFEFFdata: x\n\n\uFEFFdata: y\n\n',
    want: [['event', 'message', 'x', '']],
  },
  {
    name: 'multi-line data joined with LF, trailing LF removed once',
    input: 'data: one\ndata:two\ndata\ndata:  four\n\n',
    want: [['event', 'message', 'one\ntwo\n\n four', '']],
  },
  {
    name: 'comments and heartbeats',
    input: ': heartbeat\n\n:\n\ndata: z\n\n',
    want: [
      ['comment', ' heartbeat'],
      ['comment', ''],
      ['event', 'message', 'z', ''],
    ],
  },
  {
    name: 'an event without data is not dispatched but its id sticks',
    input: 'id: 9\nevent: ping\n\ndata: after\n\n',
    want: [['event', 'message', 'after', '9']],
  },
  {
    name: 'id persists across events; id with NUL is ignored',
    input: 'id: 1\ndata: a\n\ndata: b\n\nid: 2\u00003\ndata: c\n\nid\ndata: d\n\n',
    want: [
      ['event', 'message', 'a', '1'],
      ['event', 'message', 'b', '1'],
      ['event', 'message', 'c', '1'],
      ['event', 'message', 'd', ''],
    ],
  },
  {
    name: 'retry only with ASCII digits',
    input: 'retry: 12x\nretry: -5\nretry:\nretry: 300\n\n',
    want: [['retry', 300]],
  },
  {
    name: 'unknown fields ignored, field names are case-sensitive',
    input: 'Data: no\nfoo: bar\ndata: yes\n\n',
    want: [['event', 'message', 'yes', '']],
  },
  {
    name: 'only one space after the colon is removed',
    input: 'event:  spaced\ndata:x\n\n',
    want: [['event', ' spaced', 'x', '']],
  },
  {
    name: 'an event left incomplete at the end is discarded',
    input: 'data: whole\n\ndata: partial\n',
    want: [['event', 'message', 'whole', '']],
  },
  {
    name: 'UTF-8 text passes through',
    input: 'data: {"t":"héllo ✓ 🚀"}\n\n',
    want: [['event', 'message', '{"t":"héllo ✓ 🚀"}', '']],
  },
];

for (const { name, input, want } of CASES) {
  test(`SseParser: ${name}`, () => {
    for (const chunks of splits(input)) {
      assert.deepEqual(parse(chunks), want, `chunks ${JSON.stringify(chunks)}`);
    }
  });
}

test('SseParser: a CR at the end of one chunk and LF at the start of the next are one line end', () => {
  assert.deepEqual(parse(['data: a\r', '\n', '\r', '\ndata: b\n\n']), [
    ['event', 'message', 'a', ''],
    ['event', 'message', 'b', ''],
  ]);
  // ...but CR then an empty chunk then LF still counts once.
  assert.deepEqual(parse(['data: a\r', '', '\n\n']), [['event', 'message', 'a', '']]);
});

test('SseParser: bytes decoded with a streaming TextDecoder survive splits inside a character', () => {
  const bytes = new TextEncoder().encode('\uFEFFdata: ✓🚀\r\n\r\n');
  for (let i = 1; i < bytes.length; i++) {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const chunks = [
      decoder.decode(bytes.slice(0, i), { stream: true }),
      decoder.decode(bytes.slice(i)),
    ];
    assert.deepEqual(parse(chunks), [['event', 'message', '✓🚀', '']], `split at byte ${i}`);
  }
});
