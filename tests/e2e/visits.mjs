// The liaison cadre's visit (走访, 千名干部进千企, issue 19) through the pages, in Debian's Chromium:
//
//   - 张伟 (`cadre`, the liaison of three demo enterprises) opens 走访 on a phone: the three, all
//     待走访 (never visited);
//   - 记录走访 on the first: a request without a title is refused where it was typed, and
//     nothing is saved; 宣讲政策 offers the policies the enterprise fits first (as GET
//     /enterprises/{id}/policies lists them, with 符合 / 可能符合), then the others in force; then
//     the visit with a photo (a real PNG, uploaded as it is chosen), one policy explained and one
//     difficulty filed on the spot is recorded;
//   - the page names the request filed and opens it; the dispatcher finds it waiting, by visit,
//     for the enterprise;
//   - back on the list the enterprise is no longer due, with today's visit;
//   - its name opens its profile (企业档案): the visit with its photo (which loads, and opens full
//     size), the request filed on it, which opens its ticket, and the policy explained, named by
//     its title; 可享政策 lists the policies as the API does (fit, what is unknown, told — the
//     one explained so — applied) and 企业信息 its information as the API holds it; 编辑 changes
//     it (saved verified) and 可享政策 follows; at 390 px and 1440 px; an enterprise never
//     visited says so; made the deputy (副联点干部) of another enterprise, the cadre finds it
//     tagged 副联点; an enterprise's own change shows 待核实 until the cadre's 核实; the dispatcher
//     opens the profile from the request.
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
/** As the profile names an enterprise's information (strings/liaison.js). */
const TRAIT_WORDS = {
  scale: { above: '规上企业', below: '规下企业' },
  size: { large: '大型企业', medium: '中型企业', small: '小型企业', micro: '微型企业' },
  revenue: { below1m: '100 万元以下', upto5m: '100 万–500 万元', upto20m: '500 万–2000 万元', upto100m: '2000 万–1 亿元', upto400m: '1 亿–4 亿元', over400m: '4 亿元以上' },
  unknown: { industry_chain: '产业链', area: '所在区域', scale: '规上/规下', size: '企业规模', qualifications: '企业资质', founded: '成立日期' },
};
/** Policies the profile lists before 展开全部. */
const POLICIES_SHOWN = 6;

/** What 企业信息 should show, row by row, for the API's traits and qualification terms. */
function traitTexts(tr, quals) {
  const names = new Map(quals.map((q) => [q.id, q.name]));
  const or = (v) => v ?? '未填写';
  return {
    scale: or(tr.scale && TRAIT_WORDS.scale[tr.scale]),
    size: or(tr.size && TRAIT_WORDS.size[tr.size]),
    qualifications: tr.qualification_ids === null ? '未填写' : tr.qualification_ids.length ? tr.qualification_ids.map((q) => names.get(q)).join('、') : '无',
    employees: tr.employees === null ? '未填写' : `${tr.employees} 人`,
    revenue: or(tr.revenue_band && TRAIT_WORDS.revenue[tr.revenue_band]),
    founded: or(tr.founded_on),
  };
}

/** 企业信息 on the page equals the API's traits. */
async function expectTraits(page, enterpriseId, token, what) {
  const tr = await apiOk('GET', `/enterprises/${enterpriseId}/traits`, { token });
  const quals = (await apiOk('GET', '/policy-terms?kind=qualification', { token })).items;
  const want = traitTexts(tr, quals);
  await eventually(async () => {
    const rows = await page.getByTestId('profile-trait').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.dataset.key, e.querySelector('[data-testid="profile-trait-value"]').textContent.trim()])));
    return JSON.stringify(rows) === JSON.stringify(want) ? rows : null;
  }, `${what}: 企业信息 as the API holds it (${JSON.stringify(want)})`);
  return tr;
}

/**
 * 可享政策 on the page equals GET /enterprises/{id}/policies (the first few, in its order); with
 * `told`, also whether each was told and applied (a push may be on its way after a change).
 */
async function expectPolicies(page, enterpriseId, token, what, { told = true } = {}) {
  const recs = (await apiOk('GET', `/enterprises/${enterpriseId}/policies`, { token })).items;
  const want = recs.slice(0, POLICIES_SHOWN).map((x) => `${x.policy.id}:${x.fit}`);
  await eventually(async () => {
    const shown = await page.getByTestId('profile-policy').evaluateAll((els) => els.map((e) => `${e.dataset.id}:${e.dataset.fit}`));
    return JSON.stringify(shown) === JSON.stringify(want) ? shown : null;
  }, `${what}: 可享政策 as the API lists them (${want.length})`);
  for (const x of recs.slice(0, POLICIES_SHOWN)) {
    const item = page.locator(`[data-testid="profile-policy"][data-id="${x.policy.id}"]`);
    checkEqual((await item.getByTestId('profile-policy-title').innerText()).trim(), x.policy.title, 'its title');
    checkEqual(await item.getByTestId('profile-policy-title').getAttribute('href'), `#/s/policies/${x.policy.id}`, 'it opens the policy');
    checkEqual((await item.getByTestId('profile-policy-fit').innerText()).trim(), x.fit === 'fits' ? '符合' : '可能符合', 'its fit in words');
    if (x.fit === 'may_fit' && x.unknown.length) {
      checkEqual((await item.getByTestId('profile-policy-unknown').innerText()).trim(), `待补充：${x.unknown.map((u) => TRAIT_WORDS.unknown[u]).join('、')}`, 'what is unknown');
    }
    if (!told) continue;
    const said = (await item.getByTestId('profile-policy-told').innerText()).trim();
    check(x.explained === said.includes('走访已宣讲'), `explained on a visit as the API says (${x.explained}: ${said})`);
    check(!!x.pushed_at === said.includes('已推送'), `pushed as the API says (${said})`);
    checkEqual(await item.getByTestId('profile-policy-application').getAttribute('data-status'), x.application ? x.application.status : '', 'applied as the API says');
  }
  checkEqual(await page.getByTestId('profile-policies-more').count(), recs.length > POLICIES_SHOWN ? 1 : 0, '展开全部 when there are more');
  return recs;
}
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
  let explained = null;

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
    await step('宣讲政策: the policies it fits first, then the others in force; one is ticked', async () => {
      const admin = await apiLogin('admin', DEMO_PASSWORD);
      const recs = (await apiOk('GET', `/enterprises/${enterpriseId}/policies`, { token: admin })).items;
      const inForce = (await apiOk('GET', '/policies?status=published&in_force=true&limit=100', { token: admin })).items;
      check(recs.length >= 1, 'the demo enterprise fits a policy');
      await eventually(async () => (await tid(phone, 'visit-policy').count()) === inForce.length, 'every policy in force offered');
      const offered = await tid(phone, 'visit-policy').evaluateAll((els) => els.map((e) => `${e.dataset.id}:${e.dataset.fit}`));
      checkEqual(JSON.stringify(offered.slice(0, recs.length)), JSON.stringify(recs.map((x) => `${x.policy.id}:${x.fit}`)), 'those it fits first, as the API lists them');
      check(offered.slice(recs.length).every((o) => o.endsWith(':no')), 'then the others');
      explained = recs.find((x) => x.fit === 'fits').policy;
      const box = phone.locator(`[data-testid="visit-policy"][data-id="${explained.id}"]`);
      checkEqual((await box.innerText()).replace(/\s+/g, ''), `${explained.title}符合`.replace(/\s+/g, ''), 'named by its title, 符合');
      await box.getByTestId('visit-policy-check').check();
      checkEqual((await tid(phone, 'visit-policies-count').innerText()).trim(), '已选 1 项', 'counted');
      await shot(phone, 'visit-form-policies-phone.png');
    });
    await step('with the title, the visit, its photo, its policy and its request are recorded', async () => {
      await tid(phone, 'visit-request-title').first().fill(TITLE);
      await tid(phone, 'visit-submit').click();
      await visible(tid(phone, 'visit-done'), 'what was recorded');
      check((await tid(phone, 'visit-done').innerText()).includes('已代企业提交诉求 1 件'), 'one request filed');
      check((await tid(phone, 'visit-done').innerText()).includes('已保存照片 1 张'), 'one photo saved');
      checkEqual((await tid(phone, 'visit-done-policies').innerText()).trim(), '已记录宣讲政策 1 项', 'one policy explained');
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
      checkEqual(JSON.stringify(visits.items[0].policy_ids), JSON.stringify([explained.id]), 'the policy explained');
      const recs = await apiOk('GET', `/enterprises/${enterpriseId}/policies`, { token: dispatcher });
      check(recs.items.find((x) => x.policy.id === explained.id).explained, 'the policy counts as explained to it');
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
      const vp = visit.getByTestId('profile-visit-policy');
      checkEqual(await vp.count(), 1, 'one policy explained on it');
      checkEqual(await vp.getAttribute('data-id'), explained.id, 'the policy ticked');
      await eventually(async () => (await vp.innerText()).trim() === explained.title, 'named by its title');
      checkEqual(await vp.getAttribute('href'), `#/s/policies/${explained.id}`, 'it opens the policy');
      check(Number(await tid(phone, 'profile-req-total').innerText()) >= 1, 'counted in its requests');
      checkEqual((await tid(phone, 'profile-req-satisfaction').innerText()).trim(), '—', 'no rating yet');
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 390, `nothing wider than the screen (${wide} px)`);
      await shot(phone, 'enterprise-profile-phone.png');
    });
    await step('企业信息 and 可享政策 as the API says; 编辑 changes the information, and the policies follow', async () => {
      const cadre = await apiLogin('cadre', DEMO_PASSWORD);
      const before = await expectTraits(phone, enterpriseId, cadre, 'the demo enterprise');
      check(before.stated, 'the demo stated its information');
      await expectPolicies(phone, enterpriseId, cadre, 'the demo enterprise');
      await tid(phone, 'profile-policies').scrollIntoViewIfNeeded();
      await shot(phone, 'enterprise-profile-policies-phone.png');
      // Above the designated size, with 66 employees: the demo's 先进制造业 policy asks for 规上.
      await tid(phone, 'profile-traits-edit').click();
      await visible(phone.locator('[data-testid="form-dialog"][data-action="traits-edit"]'), 'the dialog');
      await tid(phone, 'trait-scale').selectOption('above');
      await tid(phone, 'trait-employees').fill('66');
      await shot(phone, 'enterprise-traits-dialog-phone.png');
      await tid(phone, 'dialog-ok').click();
      await eventually(async () => (await phone.locator('dialog[open]').count()) === 0, 'saved and closed');
      const after = await expectTraits(phone, enterpriseId, cadre, 'changed');
      checkEqual(after.scale, 'above', 'saved: 规上');
      checkEqual(after.employees, 66, 'saved: 66 employees');
      checkEqual(after.size, before.size, 'the rest as it was');
      checkEqual(JSON.stringify(after.qualification_ids), JSON.stringify(before.qualification_ids), 'its qualifications as they were');
      check(after.verified, 'a staff change is verified');
      checkEqual(await tid(phone, 'profile-traits-pending').count(), 0, 'nothing to verify');
      await expectPolicies(phone, enterpriseId, cadre, 'matched again', { told: false });
      // It fits the manufacturing policy now (an enterprise with an account is pushed it: the
      // API tests count that; this one may have none); read again, the page says so.
      await eventually(async () => (await apiOk('GET', `/enterprises/${enterpriseId}/policies`, { token: cadre })).items.some((x) => x.policy.title.includes('先进制造业') && x.fit === 'fits'), 'overApi: the manufacturing policy fits');
      await phone.reload();
      await expectPolicies(phone, enterpriseId, cadre, 'read again');
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
    await step('overApi + 企业档案: the enterprise changes its information; 待核实 until the cadre\'s 核实', async () => {
      const ent = await apiLogin('enterprise', DEMO_PASSWORD);
      const me = await apiOk('GET', '/me', { token: ent });
      await desk.evaluate(() => { window.location.hash = '#/c/enterprises'; });
      await visible(desk.locator(`[data-testid="liaison-item"][data-id="${me.enterprise_id}"]`), 'the enterprise user\'s enterprise among the cadre\'s');
      const changed = await apiOk('PATCH', `/enterprises/${me.enterprise_id}/traits`, { token: ent, body: { employees: 88 } });
      check(!changed.verified, 'unverified: changed by the enterprise');
      await desk.locator(`[data-testid="liaison-item"][data-id="${me.enterprise_id}"]`).getByTestId('liaison-name').click();
      await visible(tid(desk, 'profile-traits-pending'), '待核实');
      check((await tid(desk, 'profile-traits-status').innerText()).includes('待核实'), 'said under the information');
      const cadre = await apiLogin('cadre', DEMO_PASSWORD);
      await expectTraits(desk, me.enterprise_id, cadre, 'changed by the enterprise');
      await expectPolicies(desk, me.enterprise_id, cadre, 'its policies');
      await shot(desk, 'enterprise-profile-pending-desk.png');
      await tid(desk, 'profile-traits-verify').click();
      await eventually(async () => (await tid(desk, 'profile-traits-pending').count()) === 0, '待核实 gone');
      const verified = await apiOk('GET', `/enterprises/${me.enterprise_id}/traits`, { token: cadre });
      check(verified.verified, 'verified');
      checkEqual(verified.employees, 88, 'as the enterprise said');
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
