// The rough edges a walk through the pages found (issue 17), each checked in Debian's Chromium
// as a user of each role meets it:
//
//   - masking and links agree: the liaison cadre is offered no call to a masked number and
//     the timeline names the enterprise's people masked too; the dispatcher calls the number;
//   - on a phone the request's text comes before the rows of facts, and every status tab is
//     in view;
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/walk.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Preconditions made over the API are named so (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP,
  check, checkEqual, eventually, visible,
  scenario, step, watchPages, summary, launch, newMonitoredContext, shot,
  apiOk, apiLogin, startWatchdog,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);

/** Signs in on the login page with a username and password and waits for the home page. */
async function signIn(page, username, homeHash) {
  await page.goto('/#/login');
  await visible(tid(page, 'login-tab-password'), 'the login page');
  await tid(page, 'login-tab-password').click();
  await tid(page, 'login-username').fill(username);
  await tid(page, 'login-password').fill(DEMO_PASSWORD);
  await tid(page, 'login-submit').click();
  await eventually(async () => homeHash.test(new URL(page.url()).hash), `${username} at their home page (at ${page.url()})`);
}

/** A page of a fresh monitored context, signed in as `username`. */
async function signedIn(browser, contexts, username, homeHash, options = PHONE) {
  const ctx = await newMonitoredContext(browser, `${username}@${options === PHONE ? 'phone' : 'desk'}`, options);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await signIn(page, username, homeHash);
  return page;
}

/** The ticket of `list` (GET /tickets as that reader) whose title is `title`. */
async function ticketTitled(token, title) {
  const list = await apiOk('GET', `/tickets?limit=100&q=${encodeURIComponent(title)}`, { token });
  const found = list.items.find((x) => x.title === title);
  check(found, `the demo ticket ${title} is listed`);
  return found;
}

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/walk-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const tokens = {
    cadre: await apiLogin('cadre', DEMO_PASSWORD), // 张伟, the liaison cadre of 绿源食品
    dispatcher: await apiLogin('dispatcher', DEMO_PASSWORD),
  };
  const DEMO_CLOSED = '新厂房用电报装进度慢'; // 陈静's, handled by 李娜 (src/cli/demo.rs)

  await scenario('masking: the liaison cadre sees the contact and the timeline masked, and no call', async () => {
    const seen = await step('overApi: the liaison reads the ticket masked', async () => {
      const tk = await ticketTitled(tokens.cadre, DEMO_CLOSED);
      check(tk.contact_masked === true, 'the liaison cadre is sent the contact masked');
      check(/\*/.test(tk.contact_phone), `a masked number (${tk.contact_phone})`);
      return tk;
    });
    const page = await signedIn(browser, contexts, 'cadre', /^#\/c/);
    watchPages(page);
    await step('the page offers no call to a masked number', async () => {
      await page.goto(`/#/c/tickets/${seen.id}`);
      await visible(tid(page, 'contact-masked'), 'the note that the contact is masked');
      checkEqual(await tid(page, 'contact-call').count(), 0, 'call buttons');
      checkEqual(await page.locator('a[href^="tel:"]').count(), 0, 'tel: links');
      const phone = (await tid(page, 'contact-phone').innerText()).trim();
      checkEqual(phone, seen.contact_phone, 'the number shown');
    });
    await step('the timeline names the enterprise masked too', async () => {
      const text = await page.locator('.timeline, [data-testid="timeline"]').first().innerText();
      check(!text.includes('陈静'), `the timeline shows 陈静 whole: ${text.slice(0, 200)}`);
      check(text.includes('陈*'), `the timeline names 陈* (${text.slice(0, 200)})`);
      await shot(page, 'walk-liaison-masked.png');
    });
    const desk = await signedIn(browser, contexts, 'dispatcher', /^#\/d/);
    watchPages(desk);
    await step('the dispatcher sees the contact whole and calls that number', async () => {
      await desk.goto(`/#/d/tickets/${seen.id}`);
      const call = await visible(tid(desk, 'contact-call'), 'the call button');
      const full = await ticketTitled(tokens.dispatcher, DEMO_CLOSED);
      check(full.contact_masked === false && !/\*/.test(full.contact_phone), 'the dispatcher is sent the number whole');
      checkEqual(await call.getAttribute('href'), `tel:${full.contact_phone}`, 'the call link');
      checkEqual(await tid(desk, 'contact-masked').count(), 0, 'masked notes');
      const text = await desk.locator('.timeline, [data-testid="timeline"]').first().innerText();
      check(text.includes('陈静'), 'the dispatcher sees 陈静 in the timeline');
    });
  });

  await scenario('phone: the request text before the facts, every status tab in view', async () => {
    const page = await signedIn(browser, contexts, 'dispatcher', /^#\/d/);
    watchPages(page);
    await step('every tab of the queue is inside the 390 px screen', async () => {
      await visible(tid(page, 'tab-submitted'), 'the queue');
      const boxes = await page.locator('.sf-tabs .tab').evaluateAll((els) => els.map((e) => {
        const r = e.getBoundingClientRect();
        return { text: e.innerText.replace(/\s+/g, ''), left: r.left, right: r.right };
      }));
      check(boxes.length >= 6, `the queue has its tabs (${boxes.length})`);
      const cut = boxes.filter((b) => b.left < 0 || b.right > 390);
      check(!cut.length, `tabs cut off at the screen's edge: ${JSON.stringify(cut)}`);
      await shot(page, 'walk-queue-phone.png');
    });
    await step("the request's text comes before the rows of facts", async () => {
      const tk = await ticketTitled(tokens.dispatcher, DEMO_CLOSED);
      await page.goto(`/#/d/tickets/${tk.id}`);
      const desc = await visible(tid(page, 'ticket-description'), 'the description');
      const descTop = (await desc.boundingBox()).y;
      const firstFact = (await page.locator('.sf-kvs .sf-kv').first().boundingBox()).y;
      check(descTop < firstFact, `the description (y=${descTop}) is above the first fact (y=${firstFact})`);
      check(descTop < 844, `the description starts on the first screen (y=${descTop})`);
      await shot(page, 'walk-detail-phone.png');
    });
  });

  await scenario('no console error, CSP violation or dialog on the pages', async () => {
    const problems = contexts.flatMap((c) => c.problems);
    check(!problems.length, `problems on the pages:\n${problems.map((p) => `          [${p.context}] ${p.kind}: ${p.text}`).join('\n')}`);
  });

  for (const c of contexts) await c.context.close().catch(() => {});
  await browser.close();
  process.exit(summary());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
