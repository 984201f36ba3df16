// Weighs an enterprise's session on the phone page: what the browser fetches, by file, with a
// cold cache; and, on a throttled network, how long the pages take. The figures in
// docs/frontend.md ("Loading by role") come from here.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [LATENCY_MS=150 DOWN_KBPS=1600] \
//     node tests/e2e/weigh.mjs
//
// The bytes: signs in as the demo enterprise (陈静, password DEMO_PASSWORD), opens home, 我的诉求,
// one request, the filing form and 我的, and prints every file fetched with its bytes (headers
// and body as received) and the totals.
//
// The times, with LATENCY_MS (and DOWN_KBPS): in another browser context, with Chromium adding
// that much to every round trip (and holding downloads to that many kbit/s) as a phone network
// would, the login page, home after signing in, and home opened again while signed in (with an
// empty cache, then reloaded: the files revalidated, Cache-Control no-cache). The page itself
// notes when each shows (a MutationObserver, from the start of the navigation or from the tap on
// 登录): Playwright's waits poll at growing intervals and would round the times up. That context
// records nothing per request either (asking Playwright for each request's sizes slows the page).
// A local HTTPS proxy with a certificate of its own is accepted (to measure over HTTP/2).

import { BASE_URL, DEMO_PASSWORD, PHONE, launch } from './lib.mjs';

const latency = Number(process.env.LATENCY_MS || 0);
const downKbps = Number(process.env.DOWN_KBPS || 0);
const options = { baseURL: BASE_URL, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', ignoreHTTPSErrors: true, ...PHONE };
const browser = await launch();

async function signIn(page) {
  await page.goto('/#/login');
  await page.getByTestId('login-tab-password').click();
  await page.getByTestId('login-username').fill('enterprise');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await homeShown(page);
}

function homeShown(page) {
  return page.getByTestId('home-tickets').locator('[data-testid="ticket-item"]').first().waitFor();
}

// The bytes.
const context = await browser.newContext(options);
const page = await context.newPage();
const fetched = [];
page.on('requestfinished', (req) => {
  fetched.push(Promise.all([req.sizes(), req.response()]).then(([sizes, res]) => ({
    path: new URL(req.url()).pathname,
    status: res ? res.status() : 0,
    bytes: sizes.responseHeadersSize + sizes.responseBodySize,
  })));
});
await signIn(page);
await page.goto('/#/e/tickets');
await page.getByTestId('ticket-item').first().click();
await page.getByTestId('ticket-status').waitFor();
await page.goto('/#/e/new');
await page.getByTestId('file-submit').waitFor();
await page.goto('/#/e/me');
await page.getByTestId('me-name').waitFor();
await page.waitForTimeout(500);
await context.close();

const rows = await Promise.all(fetched);
const isPage = (r) => r.path === '/' || r.path.startsWith('/assets/');
const sum = (list) => list.reduce((n, r) => n + r.bytes, 0);
const byPath = new Map();
for (const r of rows.filter(isPage)) byPath.set(r.path, (byPath.get(r.path) || 0) + r.bytes);
for (const [path, bytes] of [...byPath].sort()) console.log(`${String(bytes).padStart(8)}  ${path}`);
const files = rows.filter(isPage);
console.log(`the page and its files: ${files.length} requests, ${sum(files)} bytes (JavaScript ${sum(files.filter((r) => r.path.endsWith('.js')))})`);
console.log(`the API: ${rows.length - files.length} requests, ${sum(rows) - sum(files)} bytes`);

// The times.
// Runs in every document: when the login form and home's first request show (epoch ms), and
// when 登录 was tapped.
const CLOCK = `(() => {
  const at = (window.__at = { start: performance.timeOrigin });
  const seen = () => {
    if (!at.login && document.querySelector('[data-testid="login-submit"]')) at.login = Date.now();
    if (!at.home && document.querySelector('[data-testid="home-tickets"] [data-testid="ticket-item"]')) at.home = Date.now();
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
  document.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('[data-testid="login-submit"]')) at.tap = Date.now();
  }, true);
})();`;
const at = (p) => p.evaluate(() => window.__at);

if (latency || downKbps) {
  const throttled = async (ctx) => {
    await ctx.addInitScript({ content: CLOCK });
    const p = await ctx.newPage();
    const cdp = await ctx.newCDPSession(p);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency, downloadThroughput: downKbps ? (downKbps * 1000) / 8 : -1, uploadThroughput: -1,
    });
    return p;
  };
  const first = await browser.newContext(options);
  const p1 = await throttled(first);
  await signIn(p1);
  const t1 = await at(p1);
  const login = Math.round(t1.login - t1.start);
  const home = Math.round(t1.home - t1.tap);
  const again = await browser.newContext({ ...options, storageState: await first.storageState() });
  const p2 = await throttled(again);
  await p2.goto('/#/e');
  await homeShown(p2);
  const t2 = await at(p2);
  const cold = Math.round(t2.home - t2.start);
  await p2.reload();
  await homeShown(p2);
  const t3 = await at(p2);
  const warm = Math.round(t3.home - t3.start);
  console.log(`with ${latency} ms a round trip${downKbps ? ` and ${downKbps} kbit/s` : ''}: the login page in ${login} ms, ` +
    `home after signing in in ${home} ms; signed in, home opened in ${cold} ms (empty cache), ${warm} ms (reloaded)`);
}
await browser.close();
