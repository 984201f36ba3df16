// Weighs an enterprise's session on the phone page: what the browser fetches, by file, with a
// cold cache. The figures in docs/frontend.md ("Loading by role") come from here.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [LATENCY_MS=150 DOWN_KBPS=1600] \
//     node tests/e2e/weigh.mjs
//
// Signs in as the demo enterprise (陈静, password DEMO_PASSWORD), opens home, 我的诉求, one
// request, the filing form and 我的, and prints every file fetched with its bytes (headers and
// body as received) and the totals. With LATENCY_MS (and DOWN_KBPS), Chromium adds that much
// to every round trip (and holds downloads to that many kbit/s), as a phone network would, and
// the times until the login page and, after signing in, the home page show are printed too.

import { BASE_URL, DEMO_PASSWORD, PHONE, launch } from './lib.mjs';

const latency = Number(process.env.LATENCY_MS || 0);
const downKbps = Number(process.env.DOWN_KBPS || 0);
const browser = await launch();
// (ignoreHTTPSErrors: to measure through a local HTTPS proxy with a certificate of its own.)
const options = { baseURL: BASE_URL, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ignoreHTTPSErrors: true, ...PHONE };
const context = await browser.newContext(options);
const page = await context.newPage();

async function throttle(p) {
  if (!latency && !downKbps) return;
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency, downloadThroughput: downKbps ? (downKbps * 1000) / 8 : -1, uploadThroughput: -1,
  });
}
await throttle(page);
const fetched = [];
page.on('requestfinished', (req) => {
  fetched.push(Promise.all([req.sizes(), req.response()]).then(([sizes, res]) => ({
    path: new URL(req.url()).pathname,
    status: res ? res.status() : 0,
    bytes: sizes.responseHeadersSize + sizes.responseBodySize,
  })));
});

const tid = (id) => page.getByTestId(id);
let started = Date.now();
await page.goto('/#/login');
await tid('login-tab-password').click();
const loginShown = Date.now() - started;
await tid('login-username').fill('enterprise');
await tid('login-password').fill(DEMO_PASSWORD);
started = Date.now();
await tid('login-submit').click();
await tid('home-tickets').locator('[data-testid="ticket-item"]').first().waitFor();
const homeShown = Date.now() - started;
await page.goto('/#/e/tickets');
await tid('ticket-item').first().click();
await tid('ticket-status').waitFor();
await page.goto('/#/e/new');
await tid('file-submit').waitFor();
await page.goto('/#/e/me');
await tid('me-name').waitFor();
await page.waitForTimeout(500);

// Opening the page again, still signed in: with an empty cache, and then reloaded (the files
// revalidated: Cache-Control no-cache).
const again = await browser.newContext({ ...options, storageState: await context.storageState() });
const reopened = await again.newPage();
await throttle(reopened);
started = Date.now();
await reopened.goto('/#/e');
await reopened.getByTestId('home-tickets').locator('[data-testid="ticket-item"]').first().waitFor();
const coldShown = Date.now() - started;
started = Date.now();
await reopened.reload();
await reopened.getByTestId('home-tickets').locator('[data-testid="ticket-item"]').first().waitFor();
const warmShown = Date.now() - started;
await browser.close();

const rows = await Promise.all(fetched);
const isPage = (r) => r.path === '/' || r.path.startsWith('/assets/');
const sum = (list) => list.reduce((n, r) => n + r.bytes, 0);
const byPath = new Map();
for (const r of rows.filter(isPage)) byPath.set(r.path, (byPath.get(r.path) || 0) + r.bytes);
for (const [path, bytes] of [...byPath].sort()) console.log(`${String(bytes).padStart(8)}  ${path}`);
const files = rows.filter(isPage);
console.log(`the page and its files: ${files.length} requests, ${sum(files)} bytes (JavaScript ${sum(files.filter((r) => r.path.endsWith('.js')))})`);
console.log(`the API: ${rows.length - files.length} requests, ${sum(rows) - sum(files)} bytes`);
if (latency || downKbps) {
  console.log(`with ${latency} ms a round trip${downKbps ? ` and ${downKbps} kbit/s` : ''}: the login page in ${loginShown} ms, home after signing in in ${homeShown} ms; ` +
    `signed in, home opened in ${coldShown} ms (empty cache), ${warmShown} ms (reloaded)`);
}
