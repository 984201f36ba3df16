// Weighs and times each role's first page in Chromium, for this build and a baseline side by
// side: bytes transferred (headers and bodies as received, the API's answers included) with an
// empty cache and reloaded with a warm one, requests, the first paint, and the time until the
// page is usable, on a phone's network (150 ms a round trip, 1.6 Mbit/s down, Chromium's
// network emulation) and unthrottled. Medians of several runs. The figures in
// docs/performance.md ("Pages: weight and time to usable") come from here.
//
//   node bench/pages.mjs [--baseline REV|BINARY]… [--binary BINARY] [--runs 5] [--roles enterprise,admin]
//                        [--compressed-baseline]
//
// Without --binary it builds this checkout (`cargo build --release --bin qiyeshao`, in
// CARGO_TARGET_DIR). --baseline takes a binary's path, or a git revision, which is built in a
// temporary worktree with a target directory of its own ($HOME/.cache/qiyeshao/target-bench-REV,
// kept for the next run). Each binary serves its demo data (`serve --demo`) on a free port over
// a fresh SQLite database; both servers run at once and the runs alternate between them, so a
// machine whose speed moves through the day moves both alike. Needs /usr/bin/chromium and
// `npm ci --prefix tests/e2e` (playwright-core).
//
// "Usable" is when the role's page shows its data: the enterprise's home with its first request
// listed, the cadre's workbench and the dispatcher's queue with their first ticket (or their
// empty state), the administrator's dashboard with its KPI cards. The page notes the moment
// itself (a MutationObserver from the navigation's start); "first paint" is the browser's
// first-contentful-paint. "Signed out" is the sign-in page, what everyone opens first.

import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = createRequire(join(ROOT, 'tests/e2e/package.json'))('playwright-core');
const PASSWORD = 'Qiyeshao@2026';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const RUNS = Number(option('runs', 5));
const ROLES = option('roles', 'signed-out,enterprise,cadre,dispatcher,admin').split(',');
const NETWORKS = [
  { name: '150 ms, 1.6 Mbit/s', latency: 150, down: (1600 * 1000) / 8 },
  { name: 'unthrottled', latency: 0, down: -1 },
];

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1440, height: 900 } };
const USABLE_LIST = '[data-testid="ticket-item"], [data-testid="list-end"], .state-empty';
const ROLE_PAGES = {
  'signed-out': { user: null, hash: '#/login', usable: '[data-testid="login-submit"]', device: PHONE },
  enterprise: { user: 'enterprise', hash: '#/e', usable: '[data-testid="home-tickets"] [data-testid="ticket-item"]', device: PHONE },
  cadre: { user: 'cadre.power', hash: '#/c', usable: USABLE_LIST, device: PHONE },
  dispatcher: { user: 'dispatcher', hash: '#/d', usable: USABLE_LIST, device: DESKTOP },
  admin: { user: 'admin', hash: '#/a', usable: '[data-testid="kpi-filed"]', device: DESKTOP },
};

function sh(cmd, argv, opts = {}) {
  // With stdout inherited there is nothing to return.
  return (execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts }) ?? '').trim();
}

function targetDir() {
  return process.env.CARGO_TARGET_DIR || join(ROOT, 'target');
}

/** A binary of this checkout, or of `rev` built in a worktree of its own. */
function build(rev) {
  if (!rev) {
    console.error('building this checkout (release)…');
    sh('cargo', ['build', '--release', '--bin', 'qiyeshao'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    return join(targetDir(), 'release', 'qiyeshao');
  }
  if (existsSync(rev) && statSync(rev).isFile()) return resolve(rev);
  const commit = sh('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: ROOT });
  const short = commit.slice(0, 10);
  const target = join(homedir(), '.cache', 'qiyeshao', `target-bench-${short}`);
  const binary = join(target, 'release', 'qiyeshao');
  const tree = mkdtempSync(join(tmpdir(), `qiyeshao-${short}-`));
  console.error(`building ${rev} (${short}) in ${tree}, target ${target}…`);
  sh('git', ['worktree', 'add', '--detach', tree, commit], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    sh('cargo', ['build', '--release', '--bin', 'qiyeshao'], {
      cwd: tree, env: { ...process.env, CARGO_TARGET_DIR: target }, stdio: ['ignore', 'inherit', 'inherit'],
    });
  } finally {
    sh('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT });
  }
  return binary;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

/** `serve --demo` over a fresh database; resolves when it answers. */
async function startServer(binary) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'qiyeshao-pages-'));
  const env = {
    ...process.env,
    QIYESHAO__DATA__DIR: dir,
    DATABASE_URL: `sqlite://${dir}/qiyeshao.db`,
    QIYESHAO__AUTH__MAX_FAILURES_PER_IP: '1000000',
  };
  delete env.QIYESHAO_ASSETS_DIR; // the embedded pages, as served in production
  const child = spawn(binary, ['serve', '--demo', '--bind', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'ignore', 'ignore'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, stop: () => { child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); } };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`${binary} did not start`);
}

/** A proxy to `upstream` that sends `/` and `/assets/…` brotli-compressed. */
async function compressingProxy(upstream) {
  const http = await import('node:http');
  const zlib = await import('node:zlib');
  const cache = new Map();
  const port = await freePort();
  const server = http.createServer((req, res) => {
    const up = http.request(`${upstream}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => {
        let body = Buffer.concat(chunks);
        const headers = { ...answer.headers };
        const page = req.url === '/' || req.url.startsWith('/assets/');
        if (page && answer.statusCode === 200 && /\bbr\b/.test(req.headers['accept-encoding'] || '')) {
          const key = `${req.url} ${headers.etag}`;
          if (!cache.has(key)) {
            cache.set(key, zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));
          }
          body = cache.get(key);
          headers['content-encoding'] = 'br';
          headers.vary = 'Accept-Encoding';
          delete headers['transfer-encoding'];
        }
        headers['content-length'] = String(body.length);
        res.writeHead(answer.statusCode, headers);
        res.end(body);
      });
    });
    up.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, stop: () => server.close() };
}

// Runs in every document: when the page became usable (epoch ms).
const CLOCK = (selector) => `(() => {
  const at = (window.__at = { start: performance.timeOrigin });
  const seen = () => { if (!at.usable && document.querySelector(${JSON.stringify(selector)})) at.usable = Date.now(); };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
})();`;

/** Signs `user` in through the page (unthrottled) and returns the browser's storage. */
async function signedIn(browser, url, role) {
  const spec = ROLE_PAGES[role];
  if (!spec.user) return undefined;
  const context = await browser.newContext({ baseURL: url, ...spec.device });
  const page = await context.newPage();
  await page.goto('/#/login');
  await page.getByTestId('login-tab-password').click();
  await page.getByTestId('login-username').fill(spec.user);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.locator(spec.usable).first().waitFor({ timeout: 30_000 });
  const state = await context.storageState();
  await context.close();
  return state;
}

/** One visit with an empty cache, then a reload: bytes, requests, first paint, usable. */
async function visit(browser, url, role, storageState, network) {
  const spec = ROLE_PAGES[role];
  const context = await browser.newContext({ baseURL: url, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', storageState, ...spec.device });
  await context.addInitScript({ content: CLOCK(spec.usable) });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: network.latency, downloadThroughput: network.down, uploadThroughput: -1,
  });
  let bytes = 0;
  let requests = 0;
  const encodings = new Set();
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests += 1; });
  cdp.on('Network.responseReceived', (e) => {
    const enc = e.response.headers['content-encoding'] || e.response.headers['Content-Encoding'];
    if (enc) encodings.add(enc);
  });
  const measure = async () => {
    await page.locator(spec.usable).first().waitFor({ timeout: 60_000 });
    const at = await page.evaluate(() => window.__at);
    const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
    await page.waitForTimeout(300); // what the page asks for after it shows
    return { usable: at.usable - at.start, paint };
  };
  await page.goto(`/${spec.hash}`);
  const cold = await measure();
  const coldBytes = bytes; const coldRequests = requests;
  bytes = 0; requests = 0;
  await page.reload();
  const warm = await measure();
  await context.close();
  return {
    coldBytes, coldRequests, coldUsable: cold.usable, coldPaint: cold.paint,
    warmBytes: bytes, warmRequests: requests, warmUsable: warm.usable, encodings: [...encodings].join(' '),
  };
}

const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const builds = [];
// --baseline may be given more than once: each is a column, the first the one compared with.
const baselines = args.flatMap((a, i) => (a === '--baseline' ? [args[i + 1]] : []));
for (const rev of baselines) builds.push({ label: `baseline ${rev}`, binary: build(rev) });
if (baselines.length && args.includes('--compressed-baseline')) builds.push({ label: 'baseline, pages brotli-compressed', proxyOf: builds[0] });
builds.push({ label: 'this build', binary: option('binary') ? resolve(option('binary')) : build(null) });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const servers = [];
try {
  for (const b of builds) {
    const s = b.proxyOf ? await compressingProxy(b.proxyOf.url) : await startServer(b.binary);
    servers.push(s);
    b.url = s.url;
    b.states = {};
    for (const role of ROLES) b.states[role] = await signedIn(browser, s.url, role);
  }
  const results = {};
  for (const network of NETWORKS) {
    for (const role of ROLES) {
      for (let run = 0; run < RUNS; run++) {
        for (const b of builds) {
          const r = await visit(browser, b.url, role, b.states[role], network);
          const key = `${network.name}|${role}|${b.label}`;
          (results[key] ||= []).push(r);
        }
      }
    }
  }
  const kb = (n) => (n == null ? '–' : (n / 1000).toFixed(1));
  const ms = (n) => (n == null ? '–' : String(Math.round(n)));
  console.log(`\n${new Date().toISOString().slice(0, 10)}, medians of ${RUNS} runs; kB = 1000 bytes transferred (headers and bodies, API included)\n`);
  console.log('| network | first page | build | cold kB | requests | first paint ms | usable ms (cold) | warm kB | usable ms (warm) | encodings |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const network of NETWORKS) {
    for (const role of ROLES) {
      for (const b of builds) {
        const rs = results[`${network.name}|${role}|${b.label}`];
        const m = (f) => median(rs.map(f));
        console.log(`| ${network.name} | ${role} | ${b.label} | ${kb(m((r) => r.coldBytes))} | ${m((r) => r.coldRequests)} | ${ms(m((r) => r.coldPaint))} | ${ms(m((r) => r.coldUsable))} | ${kb(m((r) => r.warmBytes))} | ${ms(m((r) => r.warmUsable))} | ${rs[0].encodings || 'none'} |`);
      }
    }
  }
} finally {
  await browser.close();
  for (const s of servers) s.stop();
}
