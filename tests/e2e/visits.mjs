// The liaison cadre's visit (走访, 千名干部进千企, issue 19) through the pages, in Debian's Chromium:
//
//   - 张伟 (`cadre`, the liaison of three demo enterprises) opens 走访 on a phone: the three, all
//     待走访 (never visited);
//   - 记录走访 on the first: a request without a title is refused where it was typed, and
//     nothing is saved; then the visit with one difficulty filed on the spot is recorded;
//   - the page names the request filed and opens it; the dispatcher finds it waiting, by visit,
//     for the enterprise;
//   - back on the list the enterprise is no longer due, with today's visit; the desk view at
//     1440 px.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/visits.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Checks made over the API are named so (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP,
  check, checkEqual, eventually, visible,
  scenario, step, watchPages, launch, shot,
  apiOk, apiLogin, startWatchdog, endRun, signedIn,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);

const TITLE = '新厂房专变报装三周未安排勘查';

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/visits-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const phone = await signedIn(browser, contexts, 'cadre', /^#\/c/, PHONE);
  const phoneCtx = contexts[contexts.length - 1];
  watchPages(phone);
  let enterpriseId = null;
  let ticketId = null;

  await scenario('the liaison cadre records a visit and files a difficulty on the spot', async () => {
    await step('走访 lists the paired enterprises, all due a visit', async () => {
      await tid(phone, 'tabbar-liaison').click();
      await eventually(async () => (await tid(phone, 'liaison-item').count()) === 3, 'three paired enterprises');
      checkEqual(await tid(phone, 'liaison-due').count(), 3, 'all due (never visited)');
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 390, `nothing wider than the screen (${wide} px)`);
      await shot(phone, 'liaison-list-phone.png');
      enterpriseId = await tid(phone, 'liaison-item').first().getAttribute('data-id');
      await tid(phone, 'liaison-item').first().getByTestId('liaison-record').click();
      await visible(tid(phone, 'visit-form'), 'the visit form');
    });
    await step('a request without a title is refused where it was typed; nothing is saved', () => phoneCtx.allow([/status of 422.*\/api\/v1\/visits/], async () => {
      await tid(phone, 'visit-people').fill('王总经理、李财务');
      await tid(phone, 'visit-findings').fill('新厂房即将投产，企业反映专变报装勘查迟迟未安排，影响设备调试。');
      await tid(phone, 'visit-add-request').click();
      const req = tid(phone, 'visit-request').first();
      await req.getByTestId('visit-request-category').selectOption({ index: 1 });
      await req.getByTestId('visit-request-description').fill('630kVA 专变报装已三周，供电公司尚未安排现场勘查。');
      await tid(phone, 'visit-submit').click();
      await eventually(async () => (await phone.locator('.field.invalid').count()) >= 1, 'the title marked');
      const admin = await apiLogin('admin', DEMO_PASSWORD);
      const visits = await apiOk('GET', `/visits?enterprise_id=${enterpriseId}`, { token: admin });
      checkEqual(visits.items.length, 0, 'no visit saved');
      await shot(phone, 'visit-form-error-phone.png');
    }));
    await step('with the title, the visit and its request are recorded', async () => {
      await tid(phone, 'visit-request-title').first().fill(TITLE);
      await tid(phone, 'visit-submit').click();
      await visible(tid(phone, 'visit-done'), 'what was recorded');
      check((await tid(phone, 'visit-done').innerText()).includes('已代企业提交诉求 1 件'), 'one request filed');
      await shot(phone, 'visit-done-phone.png');
      await tid(phone, 'visit-done-ticket').click();
      await eventually(async () => /#\/c\/tickets\//.test(phone.url()), 'the request opens');
      ticketId = decodeURIComponent(phone.url().split('#/c/tickets/')[1]);
      await eventually(async () => (await phone.locator('body').innerText()).includes(TITLE), 'its title on its page');
    });
    await step('overApi: the dispatcher finds it waiting, by visit, for the enterprise', async () => {
      const dispatcher = await apiLogin('dispatcher', DEMO_PASSWORD);
      const t = await apiOk('GET', `/tickets/${ticketId}`, { token: dispatcher });
      checkEqual(t.status, 'submitted', 'waiting to be accepted');
      checkEqual(t.channel, 'visit', 'by visit');
      checkEqual(t.enterprise_id, enterpriseId, 'the enterprise visited');
    });
    await step('back on the list the enterprise has today\'s visit and is not due', async () => {
      await phone.evaluate(() => { window.location.hash = '#/c/enterprises'; });
      const item = phone.locator(`[data-testid="liaison-item"][data-id="${enterpriseId}"]`);
      await visible(item, 'the enterprise');
      await eventually(async () => (await item.getAttribute('data-due')) === 'false', 'not due any more');
      check((await item.innerText()).includes('上次走访'), 'its last visit shown');
      checkEqual(await tid(phone, 'liaison-due').count(), 2, 'the other two still due');
    });
  });

  await scenario('the list on a desk', async () => {
    const desk = await signedIn(browser, contexts, 'cadre', /^#\/c/, DESKTOP);
    watchPages(desk);
    await step('走访 at 1440 px', async () => {
      await tid(desk, 'tabbar-liaison').first().click();
      await eventually(async () => (await tid(desk, 'liaison-item').count()) === 3, 'three enterprises');
      await shot(desk, 'liaison-list-desk.png');
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
