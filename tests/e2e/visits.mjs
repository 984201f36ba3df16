// The liaison cadre's visit (走访, 千名干部进千企, issue 19) through the pages, in Debian's Chromium:
//
//   - 张伟 (`cadre`, the liaison of three demo enterprises) opens 走访 on a phone: the three, all
//     待走访 (never visited);
//   - 记录走访 on the first: a request without a title is refused where it was typed, and
//     nothing is saved; then the visit with a photo (a real PNG, uploaded as it is chosen) and
//     one difficulty filed on the spot is recorded;
//   - the page names the request filed and opens it; the dispatcher finds it waiting, by visit,
//     for the enterprise;
//   - back on the list the enterprise is no longer due, with today's visit;
//   - its name opens its profile (企业档案): the visit with its photo (which loads, and opens full
//     size) and the request filed on it, which opens its ticket; at 390 px and 1440 px; an
//     enterprise never visited says so; made the deputy (副联点干部) of another enterprise, the
//     cadre finds it tagged 副联点; the dispatcher opens the profile from the request.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/visits.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Checks made over the API are named so (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP,
  check, checkEqual, eventually, visible, smallPhoto, tempFile,
  scenario, step, watchPages, launch, shot,
  apiOk, apiLogin, startWatchdog, endRun, signedIn,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);

const TITLE = '新厂房专变报装三周未安排勘查';
const FINDINGS = '新厂房即将投产，企业反映专变报装勘查迟迟未安排，影响设备调试。';

/** Every <img> in scope shows a picture: from a blob: URL, loaded, with pixels. */
async function expectImagesLoaded(scope, what) {
  await eventually(async () => {
    const imgs = await scope.locator('img').evaluateAll((els) => els.map((e) => ({
      src: e.getAttribute('src') || '', w: e.naturalWidth, done: e.complete,
    })));
    return imgs.length > 0 && imgs.every((i) => i.src.startsWith('blob:') && i.done && i.w > 0) ? imgs : null;
  }, `${what}: the photo shown (an <img> from a blob: URL with pixels)`);
}

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
      await tid(phone, 'visit-findings').fill(FINDINGS);
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
    await step('a photo is uploaded as it is chosen and shown', async () => {
      await tid(phone, 'visit-photos-input').setInputFiles(tempFile(`走访照片-${Date.now()}.png`, smallPhoto()));
      await visible(phone.locator('[data-testid="visit-photos-item"][data-state="done"]'), 'the uploaded photo');
      await expectImagesLoaded(tid(phone, 'visit-photos-item'), 'the photo picked');
      await shot(phone, 'visit-form-photo-phone.png');
    });
    await step('with the title, the visit, its photo and its request are recorded', async () => {
      await tid(phone, 'visit-request-title').first().fill(TITLE);
      await tid(phone, 'visit-submit').click();
      await visible(tid(phone, 'visit-done'), 'what was recorded');
      check((await tid(phone, 'visit-done').innerText()).includes('已代企业提交诉求 1 件'), 'one request filed');
      check((await tid(phone, 'visit-done').innerText()).includes('已保存照片 1 张'), 'one photo saved');
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
      const visits = await apiOk('GET', `/visits?enterprise_id=${enterpriseId}`, { token: dispatcher });
      checkEqual(visits.items.length, 1, 'one visit');
      checkEqual((visits.items[0].photos || []).length, 1, 'with its photo');
      checkEqual(visits.items[0].photos[0].content_type, 'image/png', 'a PNG');
    });
    await step('back on the list the enterprise has today\'s visit and is not due', async () => {
      await phone.evaluate(() => { window.location.hash = '#/c/enterprises'; });
      const item = phone.locator(`[data-testid="liaison-item"][data-id="${enterpriseId}"]`);
      await visible(item, 'the enterprise');
      await eventually(async () => (await item.getAttribute('data-due')) === 'false', 'not due any more');
      check((await item.innerText()).includes('上次走访'), 'its last visit shown');
      checkEqual(await tid(phone, 'liaison-due').count(), 2, 'the other two still due');
    });
    await step('its name opens its profile: the visit, its photo and the request filed', async () => {
      const item = phone.locator(`[data-testid="liaison-item"][data-id="${enterpriseId}"]`);
      await item.getByTestId('liaison-name').click();
      await eventually(async () => new URL(phone.url()).hash === `#/c/enterprises/${enterpriseId}`, 'the profile opens');
      await visible(tid(phone, 'profile-facts'), 'the enterprise');
      checkEqual(await tid(phone, 'profile-due').count(), 0, 'not due');
      await eventually(async () => (await tid(phone, 'profile-visit').count()) === 1, 'one visit');
      const visit = tid(phone, 'profile-visit').first();
      checkEqual((await visit.getByTestId('profile-visit-findings').innerText()).trim(), FINDINGS, 'what was found');
      checkEqual((await visit.getByTestId('profile-visit-method').innerText()).trim(), '实地走访', 'how, in Chinese');
      checkEqual((await visit.getByTestId('profile-visit-cadre').innerText()).trim(), '张伟', 'who went');
      await expectImagesLoaded(visit.getByTestId('profile-visit-photos'), 'the visit\'s photo');
      checkEqual(await visit.getByTestId('profile-visit-ticket').getAttribute('data-id'), ticketId, 'the request filed on it');
      check((await visit.getByTestId('profile-visit-ticket').innerText()).includes(TITLE), 'named by its title');
      await visible(phone.locator(`[data-testid="profile-ticket"][data-id="${ticketId}"]`), 'the request among the latest');
      check(Number(await tid(phone, 'profile-req-total').innerText()) >= 1, 'counted in its requests');
      checkEqual((await tid(phone, 'profile-req-satisfaction').innerText()).trim(), '—', 'no rating yet');
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 390, `nothing wider than the screen (${wide} px)`);
      await shot(phone, 'enterprise-profile-phone.png');
    });
    await step('the photo opens full size; the request opens its ticket', async () => {
      await tid(phone, 'profile-visit').first().getByTestId('attachment-image').click();
      const full = phone.locator('dialog.dialog-image img');
      await visible(full, 'the photo full size');
      check(await full.evaluate((img) => img.complete && img.naturalWidth > 0), 'the full picture loads');
      await phone.keyboard.press('Escape');
      await eventually(async () => (await phone.locator('dialog[open]').count()) === 0, 'closed');
      await tid(phone, 'profile-visit-ticket').first().click();
      await eventually(async () => new URL(phone.url()).hash === `#/c/tickets/${ticketId}`, 'its ticket opens');
    });
    await step('an enterprise never visited: its profile says so, and has no requests', async () => {
      await phone.evaluate(() => { window.location.hash = '#/c/enterprises'; });
      const other = phone.locator(`[data-testid="liaison-item"][data-due="true"]`).first();
      await visible(other, 'an enterprise due a visit');
      await other.getByTestId('liaison-name').click();
      await visible(tid(phone, 'profile-visits-empty'), 'no visits');
      await visible(tid(phone, 'profile-due'), '待走访');
      checkEqual((await tid(phone, 'profile-last-visit').innerText()).trim(), '尚未走访', 'never visited');
      if ((await tid(phone, 'profile-req-total').innerText()).trim() === '0') await visible(tid(phone, 'profile-recent-empty'), 'no requests');
      await shot(phone, 'enterprise-profile-empty-phone.png');
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
    await step('overApi + 走访: made deputy (副联点) of another enterprise, the cadre finds it tagged so', async () => {
      const admin = await apiLogin('admin', DEMO_PASSWORD);
      const me = await apiOk('GET', '/me', { token: await apiLogin('cadre', DEMO_PASSWORD) });
      const all = await apiOk('GET', '/enterprises?limit=100', { token: admin });
      const other = all.items.find((e) => e.liaison_cadre_id && e.liaison_cadre_id !== me.id && !(e.deputy_ids || []).includes(me.id));
      check(other, 'an enterprise with another liaison cadre');
      await apiOk('PATCH', `/enterprises/${other.id}`, { token: admin, body: { deputy_ids: [...(other.deputy_ids || []), me.id] } });
      await desk.reload();
      const item = desk.locator(`[data-testid="liaison-item"][data-id="${other.id}"]`);
      await visible(item, 'the enterprise deputed');
      checkEqual(await item.getAttribute('data-deputy'), 'true', 'as deputy');
      checkEqual(await tid(desk, 'liaison-deputy').count(), 1, 'one 副联点 tag');
      await shot(desk, 'liaison-list-deputy-desk.png');
      await item.getByTestId('liaison-name').click();
      await eventually(async () => (await tid(desk, 'profile-deputies').innerText()).includes(me.name), 'named among the deputies');
      await desk.evaluate(() => { window.location.hash = '#/c/enterprises'; });
      await visible(tid(desk, 'liaison-list'), 'back on the list');
    });
    await step('the profile at 1440 px', async () => {
      await desk.locator(`[data-testid="liaison-item"][data-id="${enterpriseId}"]`).getByTestId('liaison-name').click();
      await eventually(async () => (await tid(desk, 'profile-visit').count()) === 1, 'the visit');
      await expectImagesLoaded(tid(desk, 'profile-visit-photos'), 'the visit\'s photo');
      await shot(desk, 'enterprise-profile-desk.png');
    });
    await step('the dispatcher opens the profile from the request\'s page', async () => {
      const disp = await signedIn(browser, contexts, 'dispatcher', /^#\/d/, DESKTOP);
      watchPages(disp);
      await disp.evaluate((id) => { window.location.hash = `#/d/tickets/${encodeURIComponent(id)}`; }, ticketId);
      await tid(disp, 'enterprise-profile').click();
      await eventually(async () => new URL(disp.url()).hash === `#/c/enterprises/${enterpriseId}`, 'the profile opens');
      await eventually(async () => (await tid(disp, 'profile-visit').count()) === 1, 'the visit');
      checkEqual(await tid(disp, 'profile-record').count(), 0, 'no 记录走访 for a dispatcher');
      await expectImagesLoaded(tid(disp, 'profile-visit-photos'), 'the visit\'s photo, for the dispatcher');
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
