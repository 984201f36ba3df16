// Infrastructure of the browser tests: a tiny runner, Chromium, page monitors (console
// errors, CSP violations, dialogs, injected nodes), screenshots, test data (credit codes,
// phone numbers, real PNG files) and the few API calls the tests make besides the pages.

import { chromium } from 'playwright-core';
import { deflateSync } from 'node:zlib';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// ---------------------------------------------------------------------------------------
// Configuration from the environment.

export const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
export const ADMIN_USER = process.env.ADMIN_USER || 'admin';
export const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD || '';
/** The password of the demo accounts (dispatcher, cadre.power, enterprise). */
export const DEMO_PASSWORD = process.env.DEMO_PASSWORD || ADMIN_PASSWORD || 'Qiyeshao@2026';
export const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR || '';
export const SMS_PHONES_URL = process.env.SMS_PHONES_URL || '';
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Milliseconds an expectation waits for the page. */
export const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 10_000);
/** The whole run is abandoned (with screenshots) after this. */
export const WATCHDOG_MS = Number(process.env.E2E_WATCHDOG_MS || 8 * 60_000);

if (!BASE_URL) {
  console.error('BASE_URL is not set (e.g. BASE_URL=http://127.0.0.1:18083)');
  process.exit(2);
}
if (!ADMIN_PASSWORD) {
  console.error('ADMIN_PASSWORD is not set');
  process.exit(2);
}

/** Where failure screenshots go: SCREENSHOTS_DIR/failures, or a fresh temporary folder. */
export const FAILURES_DIR = SCREENSHOTS_DIR
  ? join(SCREENSHOTS_DIR, 'failures')
  : join(tmpdir(), `qiyeshao-e2e-failures-${Date.now()}`);

// ---------------------------------------------------------------------------------------
// Assertions.

export class AssertionError extends Error {}

export function check(condition, message) {
  if (!condition) throw new AssertionError(message);
}

export function checkEqual(actual, expected, what) {
  if (actual !== expected) {
    throw new AssertionError(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeout` ms. */
export async function eventually(probe, what, timeout = TIMEOUT, interval = 200) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new AssertionError(`timed out after ${timeout} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Waits until the locator is visible; a failure names what was expected. */
export async function visible(locator, what, timeout = TIMEOUT) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout });
  } catch {
    throw new AssertionError(`expected ${what} to be visible within ${timeout} ms (${locator})`);
  }
  return locator.first();
}

/** Waits until the locator's text matches `pattern` (string: contains; RegExp: matches). */
export async function textMatches(locator, pattern, what, timeout = TIMEOUT) {
  let last = '';
  await eventually(async () => {
    const el = locator.first();
    if (!(await el.isVisible())) return false;
    last = (await el.innerText()).trim();
    return typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last);
  }, `${what} to read ${pattern} (it reads ${JSON.stringify(last)})`, timeout).catch((e) => {
    throw new AssertionError(`${what}: expected text ${pattern}, found ${JSON.stringify(last)} — ${e.message}`);
  });
  return last;
}

// ---------------------------------------------------------------------------------------
// The runner: scenarios of steps. A failing step fails its scenario (with a screenshot of
// every open page of it) and the run goes on with the next scenario.

const results = [];
let currentPages = [];
let stepCounter = 0;

/** The pages to photograph if the running step fails. */
export function watchPages(...pages) {
  currentPages = pages.filter(Boolean);
}

async function failureShots(label) {
  const saved = [];
  mkdirSync(FAILURES_DIR, { recursive: true });
  for (const [i, page] of currentPages.entries()) {
    if (page.isClosed()) continue;
    const file = join(FAILURES_DIR, `${label}${currentPages.length > 1 ? `-${i + 1}` : ''}.png`);
    try {
      await page.screenshot({ path: file, fullPage: true, timeout: 5000 });
      saved.push(`${file} (${page.url()})`);
    } catch (e) {
      saved.push(`(screenshot of ${page.url()} failed: ${e.message})`);
    }
  }
  return saved;
}

export async function step(name, fn) {
  const started = Date.now();
  stepCounter += 1;
  try {
    const value = await fn();
    console.log(`    ✔ ${name} (${Date.now() - started} ms)`);
    return value;
  } catch (e) {
    console.log(`    ✘ ${name} (${Date.now() - started} ms)`);
    const label = `step${String(stepCounter).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)}`;
    const shots = await failureShots(label);
    e.step = name;
    e.shots = shots;
    throw e;
  }
}

export async function scenario(name, fn) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - started });
    console.log(`  PASS ${name}`);
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - started, error: e });
    console.log(`  FAIL ${name}`);
    console.log(`    at step: ${e.step || '(setup)'}`);
    console.log(`    ${String(e.stack || e).split('\n').slice(0, 6).join('\n    ')}`);
    for (const s of e.shots || []) console.log(`    screenshot: ${s}`);
  } finally {
    currentPages = [];
  }
}

/** An error message for the summary: the first line, or the list it announces (lines indented by 10). */
function firstLines(message) {
  const lines = message.split('\n');
  const rest = lines.slice(1).filter((l) => l.startsWith('          ')).slice(0, 12);
  return [lines[0], ...rest].join('\n');
}

/** Prints the summary; returns the exit status. */
export function summary() {
  const failed = results.filter((r) => !r.ok);
  console.log('\n══════════ qiyeshao e2e summary ══════════');
  for (const r of results) {
    console.log(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name}  (${(r.ms / 1000).toFixed(1)} s)` +
      (r.ok ? '' : `\n        ${r.error?.step ? `[${r.error.step}] ` : ''}${firstLines(String(r.error?.message || r.error))}`));
  }
  console.log(`  ${results.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length) console.log(`  failure screenshots: ${FAILURES_DIR}`);
  if (SCREENSHOTS_DIR) console.log(`  screenshots: ${SCREENSHOTS_DIR}`);
  console.log('══════════════════════════════════════════');
  return failed.length ? 1 : 0;
}

// ---------------------------------------------------------------------------------------
// The browser.

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

export const PHONE = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  deviceScaleFactor: 2,
};
export const DESKTOP = { viewport: { width: 1440, height: 900 } };

// Runs in every page before its own scripts (injected over CDP, so the page's CSP does not
// apply to it): records CSP violations, and elements carrying inline event handlers
// (onerror=…) or <script> added anywhere in the document, i.e. markup that came from data.
const MONITOR_SCRIPT = `(() => {
  const report = (kind, detail) => { try { window.__e2eReport(kind, detail); } catch (_) {} };
  document.addEventListener('securitypolicyviolation', (e) => {
    report('csp', e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
      (e.sourceFile ? ' at ' + e.sourceFile + ':' + e.lineNumber : ''));
  });
  const inspect = (el) => {
    if (!el || el.nodeType !== 1) return;
    const suspicious = [el, ...el.querySelectorAll('*')].filter((n) =>
      n.tagName === 'SCRIPT' || [...n.attributes].some((a) => /^on/i.test(a.name)));
    for (const n of suspicious) {
      if (n.tagName === 'SCRIPT' && n.src && new URL(n.src, location.href).origin === location.origin && !n.textContent) continue;
      report('injected', n.outerHTML.slice(0, 300));
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) inspect(n);
      if (r.type === 'attributes' && /^on/i.test(r.attributeName)) report('injected', r.target.outerHTML.slice(0, 300));
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
})();`;

/**
 * A browser context with monitors. `problems` collects console errors, uncaught page
 * errors, CSP violations, dialogs (alert/confirm/prompt opened by the page), injected
 * nodes and requests for `/x` (what `<img src=x>` would fetch). Expected failures (a 404
 * the test provokes) are allowed with `allow(pattern)` for the duration of a block.
 */
export async function newMonitoredContext(browser, name, options) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
    ...options,
  });
  context.setDefaultTimeout(TIMEOUT);
  const problems = [];
  let allowed = [];
  const record = (kind, text, page) => {
    if (kind === 'console' && allowed.some((p) => p.test(text))) return;
    problems.push({ context: name, kind, text, url: page ? page.url() : '' });
    console.log(`    ! [${name}] ${kind}: ${text}`);
  };
  await context.exposeBinding('__e2eReport', ({ page }, kind, detail) => record(kind, detail, page));
  await context.addInitScript({ content: MONITOR_SCRIPT });
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        const loc = msg.location();
        record('console', `${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`, page);
      }
    });
    page.on('pageerror', (err) => record('pageerror', String(err.stack || err), page));
    page.on('dialog', async (dialog) => {
      record('dialog', `${dialog.type()}: ${dialog.message()}`, page);
      await dialog.dismiss().catch(() => {});
    });
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.origin === new URL(BASE_URL).origin && /^\/x$/.test(u.pathname)) record('injected-request', req.url(), page);
    });
  };
  context.on('page', watch);
  // What the context fetched, with the bytes of each answer (headers and body as received).
  const fetched = [];
  context.on('requestfinished', (req) => {
    const u = new URL(req.url());
    fetched.push(Promise.all([req.sizes().catch(() => null), req.response().catch(() => null)]).then(([sizes, res]) => ({
      path: u.pathname,
      status: res ? res.status() : 0,
      bytes: sizes ? sizes.responseHeadersSize + sizes.responseBodySize : 0,
    })));
  });
  return {
    name,
    context,
    problems,
    /** The requests the context's pages made so far: [{path, status, bytes}]. */
    requests() {
      return Promise.all(fetched);
    },
    async newPage() {
      const page = await context.newPage();
      return page;
    },
    /** Runs `fn` with console errors matching any of `patterns` not counted. */
    async allow(patterns, fn) {
      const before = allowed;
      allowed = [...allowed, ...patterns];
      try {
        return await fn();
      } finally {
        allowed = before;
      }
    },
  };
}

/** Saves a screenshot of a main page when SCREENSHOTS_DIR is set. */
export async function shot(page, name) {
  if (!SCREENSHOTS_DIR) return;
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  // Passing toasts ("注册成功") would cover the page in the documentation's pictures. (Not
  // with Playwright's `style` option: it injects an inline <style>, which the page's CSP
  // refuses — and this run reports as a violation.)
  await page.evaluate(() => document.querySelectorAll('[data-testid="toast"]').forEach((n) => n.remove()));
  await page.screenshot({ path: join(SCREENSHOTS_DIR, name), fullPage: true });
}

// ---------------------------------------------------------------------------------------
// Test data.

const CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CODE_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The GB 32100-2015 check character of the first 17 characters (src/domain/credit_code.rs). */
export function creditCheckCharacter(first17) {
  check(first17.length === 17, 'a credit code body has 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = CODE_ALPHABET.indexOf(first17[i]);
    check(v >= 0, `character ${first17[i]} is not in the credit code alphabet`);
    sum += v * CODE_WEIGHTS[i];
  }
  return CODE_ALPHABET[(31 - (sum % 31)) % 31];
}

/** A fresh valid unified social credit code of an enterprise in Wangcheng (430112). */
export function newCreditCode() {
  let body = '91430112';
  for (let i = 0; i < 9; i++) body += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return body + creditCheckCharacter(body);
}

// The check with the published examples the Rust tests use too.
for (const known of ['91110000600037341L', '9144030071526726XG', '12100000400000624D', '91430112MA4L16JQ9R']) {
  check(creditCheckCharacter(known.slice(0, 17)) === known[17], `credit code check of ${known}`);
}

/** A fresh mobile number in the 139 segment. */
export function newPhone() {
  return '139' + String(randomInt(0, 100_000_000)).padStart(8, '0');
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A real RGB PNG. `pixel(x, y)` gives [r, g, b]; `level` is the deflate level (0 keeps
 * random pixels at full size, for the oversized upload).
 */
export function png(width, height, pixel, level = 9) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      raw[o++] = r;
      raw[o++] = g;
      raw[o++] = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small photo-like picture (a gradient with a square), a few KiB. */
export function smallPhoto() {
  return png(160, 120, (x, y) => {
    const inSquare = x > 60 && x < 100 && y > 40 && y < 80;
    return inSquare ? [200, 30, 40] : [x + 40, y + 60, 180];
  });
}

/**
 * A real PNG of random pixels larger than the 10 MiB attachment limit. Its long side is 1,920
 * px, so the page does not make it smaller before the upload (core/uploader.js shrinks only
 * photos longer than that): it stays over the limit.
 */
export function oversizedPhoto() {
  const width = 1920;
  const height = 1920; // 1920 × 3 + 1 bytes a row × 1920 rows ≈ 11.06 MB, stored uncompressed
  const noise = randomBytes(width * height * 3);
  let i = 0;
  const data = png(width, height, () => [noise[i++], noise[i++], noise[i++]], 0);
  check(data.length > 10 * 1024 * 1024, 'the oversized picture is over 10 MiB');
  return data;
}

/** Writes bytes to a temporary file (for <input type=file>) and returns its path. */
export function tempFile(name, bytes) {
  const dir = join(tmpdir(), `qiyeshao-e2e-files-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// ---------------------------------------------------------------------------------------
// The API, for what the pages do not do: preparing a precondition of the dashboard check.
// Tokens travel in the Authorization header only.

export async function api(method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${BASE_URL}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

export async function apiOk(method, path, options, expected = [200, 201]) {
  const r = await api(method, path, options);
  check(expected.includes(r.status), `${method} ${path}: expected ${expected.join('/')}, got ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

export async function apiLogin(username, password) {
  const r = await apiOk('POST', '/auth/login', { body: { username, password } }, [200]);
  return r.access_token;
}

/**
 * The SMS code sent to `phone`, read where the server sent it: the stand-in SMS gateway the
 * test harness runs (SMS_PHONES_URL, tests/api/sms_gateways.rs `Phones`), as a person would
 * read it on their phone. (The outbox withholds codes once sent, so no API shows them.)
 */
export async function readSmsCode(phone) {
  check(SMS_PHONES_URL, 'SMS_PHONES_URL is not set: the harness runs the stand-in SMS gateway');
  return eventually(async () => {
    const r = await fetch(`${SMS_PHONES_URL}received`);
    check(r.ok, `GET ${SMS_PHONES_URL}received answered ${r.status}`);
    const codes = (await r.json())
      .filter((m) => m.to === phone && m.event === 'sms_code')
      .map((m) => m.params && m.params.code);
    return codes.length ? codes[codes.length - 1] : null;
  }, `an SMS code at ${phone}`, 15_000, 300);
}

// ---------------------------------------------------------------------------------------

/** Abandons the run if it hangs: screenshots of what is open, then exit 1. */
export function startWatchdog(onTimeout) {
  const timer = setTimeout(async () => {
    console.log(`\nWATCHDOG: the run took longer than ${WATCHDOG_MS} ms; giving up`);
    try {
      await Promise.race([onTimeout(), new Promise((r) => setTimeout(r, 15_000))]);
    } finally {
      process.exit(1);
    }
  }, WATCHDOG_MS);
  timer.unref();
  return timer;
}

/**
 * The last scenario of a script — no console error, CSP violation or dialog on any of its
 * pages — then the contexts and the browser closed, and the process ended with the summary's
 * exit code.
 */
export async function endRun(browser, contexts) {
  await scenario('no console error, CSP violation or dialog on the pages', async () => {
    const problems = contexts.flatMap((c) => c.problems);
    check(!problems.length, `problems on the pages:\n${problems.map((p) => `          [${p.context}] ${p.kind}: ${p.text}`).join('\n')}`);
  });
  for (const c of contexts) await c.context.close().catch(() => {});
  await browser.close();
  process.exit(summary());
}

/** Signs in on the login page with a username and the demo password; waits for the home page. */
export async function signIn(page, username, homeHash) {
  const tid = (id) => page.getByTestId(id);
  await page.goto('/#/login');
  await visible(tid('login-tab-password'), 'the login page');
  await tid('login-tab-password').click();
  await tid('login-username').fill(username);
  await tid('login-password').fill(DEMO_PASSWORD);
  await tid('login-submit').click();
  await eventually(async () => homeHash.test(new URL(page.url()).hash), `${username} at their home page (at ${page.url()})`);
}

/** A page of a fresh monitored context (kept in `contexts`), signed in as `username`. */
export async function signedIn(browser, contexts, username, homeHash, options = PHONE) {
  const ctx = await newMonitoredContext(browser, `${username}@${options === PHONE ? 'phone' : 'desk'}`, options);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signIn(page, username, homeHash);
  return page;
}
