// A stand-in SMS gateway for running loop.mjs by hand: the phones the SMS codes arrive at.
// (Under `cargo test`, tests/api/sms_gateways.rs runs the same thing and checks signatures.)
//
//   node tests/e2e/phones.mjs 18099 &
//   QIYESHAO__NOTIFICATIONS__SMS__PROVIDER=http \
//   QIYESHAO__NOTIFICATIONS__SMS__HTTP__URL=http://127.0.0.1:18099/ qiyeshao serve --demo …
//   SMS_PHONES_URL=http://127.0.0.1:18099/ BASE_URL=… node tests/e2e/loop.mjs
//
// Every POST is a message (the in-house webhook's JSON body); `GET /received` lists their
// bodies, oldest first, as the test harness's stand-in does.

import { createServer } from 'node:http';

const port = Number(process.argv[2] || process.env.PORT || 18099);
const received = [];

createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/received') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(received));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"error":"not JSON"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ id: `phones-${received.length}`, status: 'queued' }));
  });
}).listen(port, '127.0.0.1', () => console.log(`phones: stand-in SMS gateway at http://127.0.0.1:${port}/`));
