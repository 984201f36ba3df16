// 送政策 for an enterprise (issue 20) through the pages, in Debian's Chromium, on a phone:
//
//   - 陈静 (`enterprise`, a manager of 湖南望城绿源食品) finds on her home 为您推荐 with the
//     policies her enterprise fits (符合) and 高新技术企业认定奖励, which it may fit (可能符合,
//     尚不清楚：企业资质: its qualifications are not stated); the full list adds the 免申即享 one;
//     the message that pushed a policy opens the policy;
//   - the catalogue filtered by field and searched (贴息) finds 中小微企业贷款贴息; its page says
//     what it gives and who it is for, each criterion ✓; applying with an empty statement is
//     refused where it was typed and nothing is filed; with a statement and 200000 元 it is
//     filed (20 万元, sent as fen) and its page shows the timeline; the policy's page then says
//     so and offers no second application;
//   - the department refuses it (over the API): the message opens the application with the
//     reason and both steps; the links of SMS and e-mail (#/applications/…, #/policies/…) open
//     the enterprise's own pages; the policy offers 重新申报;
//   - a question about a policy is filed as an inquiry and opened;
//   - 企业信息 (from 我的, and from the policy's 完善企业信息): ticking 高新技术企业 saves it
//     待核实, and the may-fit policy now fits, ✓ on its page and 符合 on the home;
//   - the pages at 1440 px; nothing wider than a 390 px phone; no staff or admin file fetched.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/policies-enterprise.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. It may be run again against the same server: each run resets the enterprise's
// qualifications first, and a refused application may be applied for again. Preconditions and
// checks made over the API are named so (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP,
  check, checkEqual, eventually, visible, textMatches,
  scenario, step, watchPages, launch, shot,
  apiOk, apiLogin, startWatchdog, endRun, signedIn,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);

const FITS = '中小微企业贷款贴息';
const MAY_FIT = '高新技术企业认定奖励';
const FREE = '失业保险稳岗返还';
const STATEMENT = '新增流动资金贷款 1,000 万元用于原料收购，申请按 2% 贴息。';
const REASON = '请补充贷款合同和付息凭证后重新申报。';
const QUESTION = '我司去年已享受过区级研发补助，今年通过高新技术企业认定后还能申报本奖励吗？';
/** What an enterprise's session must never fetch (docs/frontend.md, "Loading by role"). */
const STAFF_ONLY = /^\/assets\/(staff\.css$|staff\.[0-9a-f]{10}\.css$|js\/(staff|admin|desk)\/|js\/strings\/(staff|admin|desk|systemic)\.js$|js\/(?![a-z-]*enterprise)(staff|admin|shared-[a-z-]+)\.[0-9a-f]{10}\.js$)/;

async function atHash(page, pattern, what) {
  await eventually(async () => pattern.test(new URL(page.url()).hash), `${what} (at ${page.url()})`);
}

async function open(page, hash) {
  await page.evaluate((h) => { window.location.hash = h; }, hash);
  await atHash(page, new RegExp(`^${hash.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), hash);
}

async function noWiderThan(page, width, what) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= width, `${what}: nothing wider than the screen (${wide} px > ${width} px)`);
}

/** The list item of a policy, by its id, in `scope`. */
const itemOf = (scope, id) => scope.locator(`[data-testid="policy-item"][data-id="${id}"]`);

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/policies-enterprise-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const tokens = {
    admin: await apiLogin('admin', DEMO_PASSWORD),
    enterprise: await apiLogin('enterprise', DEMO_PASSWORD),
  };
  const me = await apiOk('GET', '/me', { token: tokens.enterprise });
  check(me.enterprise_manager, 'the demo enterprise user manages her enterprise');
  const terms = (await apiOk('GET', '/policy-terms', { token: tokens.enterprise })).items;
  const hightech = terms.find((x) => x.kind === 'qualification' && x.name === '高新技术企业');
  const science = terms.find((x) => x.kind === 'field' && x.name === '科技');
  check(hightech && science, 'the demo terms 高新技术企业 and 科技');

  const ids = await step('overApi: the enterprise\'s qualifications are not stated (a precondition), and what it is recommended', async () => {
    await apiOk('PATCH', `/enterprises/${me.enterprise_id}/traits`, { token: tokens.admin, body: { qualification_ids: null } }, [200]);
    const recs = (await apiOk('GET', '/me/policies', { token: tokens.enterprise })).items;
    const byTitle = (title) => recs.find((r) => r.policy.title === title);
    check(byTitle(FITS) && byTitle(FITS).fit === 'fits', `${FITS} fits the demo enterprise`);
    check(byTitle(FREE) && byTitle(FREE).fit === 'fits' && byTitle(FREE).policy.free_grant, `${FREE} fits, 免申即享`);
    check(byTitle(MAY_FIT) && byTitle(MAY_FIT).fit === 'may_fit', `${MAY_FIT} may fit`);
    checkEqual(byTitle(MAY_FIT).unknown.join(','), 'qualifications', 'what is unknown');
    return { fits: byTitle(FITS).policy.id, mayFit: byTitle(MAY_FIT).policy.id, free: byTitle(FREE).policy.id, count: recs.length };
  });

  const phone = await signedIn(browser, contexts, 'enterprise', /^#\/e/, PHONE);
  watchPages(phone);
  let applicationId = null;

  await scenario('为您推荐: on the home, in the list, and from the message that pushed it', async () => {
    await step('the home recommends a policy it fits and one it may fit, saying what is unknown', async () => {
      await open(phone, '#/e');
      const box = tid(phone, 'home-policies');
      await visible(box, '为您推荐 on the home');
      await visible(itemOf(box, ids.fits), `${FITS} on the home`);
      checkEqual(await itemOf(box, ids.fits).getAttribute('data-fit'), 'fits', `${FITS} marked`);
      checkEqual((await itemOf(box, ids.fits).getByTestId('policy-fit').innerText()).trim(), '符合', 'the tag');
      const may = itemOf(box, ids.mayFit);
      await visible(may, `${MAY_FIT} on the home`);
      checkEqual(await may.getAttribute('data-fit'), 'may_fit', `${MAY_FIT} marked`);
      checkEqual((await may.getByTestId('policy-fit').innerText()).trim(), '可能符合', 'the tag');
      checkEqual((await may.getByTestId('policy-unknown').innerText()).trim(), '尚不清楚：企业资质', 'what is unknown');
      check((await box.getByTestId('policy-item').count()) <= 3, 'a few on the home');
      check((await itemOf(box, ids.fits).getByTestId('policy-benefit').innerText()).includes('2%'), 'the benefit line');
      await noWiderThan(phone, 390, 'the home');
      await shot(phone, 'policies-home-phone.png');
    });
    await step('全部 opens 为您推荐 in full: the 免申即享 one too, and the hint to complete the information', async () => {
      await tid(phone, 'home-policies-all').click();
      await atHash(phone, /^#\/e\/policies$/, 'the policies page');
      await eventually(async () => (await tid(phone, 'policies-list').getByTestId('policy-item').count()) === ids.count, `${ids.count} recommended`);
      const free = itemOf(phone, ids.free);
      check((await free.innerText()).includes('免申即享'), `${FREE} says 免申即享`);
      checkEqual(await tid(phone, 'policies-list').getByTestId('policy-item').first().getAttribute('data-fit'), 'fits', 'those it fits first');
      await visible(tid(phone, 'policies-profile-hint'), 'the hint to complete the information');
      await shot(phone, 'policies-recommended-phone.png');
    });
    await step('the message that pushed the may-fit policy opens it', async () => {
      await open(phone, '#/messages');
      const msg = phone.locator(`[data-testid="message-item"][data-event="policy_pushed"][data-policy="${ids.mayFit}"]`);
      await visible(msg, 'the push of the may-fit policy in the message centre');
      check((await msg.innerText()).includes(MAY_FIT), 'the message names it');
      check(!/policy_|undefined|null/.test(await tid(phone, 'messages-list').innerText()), 'no raw keys in the messages');
      await msg.click();
      await atHash(phone, new RegExp(`^#/e/policies/${ids.mayFit}$`), 'the policy opens');
      await textMatches(tid(phone, 'policy-title'), MAY_FIT, 'its title');
      checkEqual(await tid(phone, 'policy-standing').getAttribute('data-fit'), 'may_fit', 'its standing');
      const crit = phone.locator('[data-testid="policy-criterion"][data-criterion="qualifications"]');
      checkEqual(await crit.getAttribute('data-mark'), 'unknown', 'the qualifications marked ?');
      check((await crit.innerText()).includes('高新技术企业'), 'the qualification named');
      await shot(phone, 'policy-may-fit-phone.png');
    });
  });

  await scenario('the catalogue searched, a policy opened and applied for', async () => {
    await step('全部政策 filtered by field: 科技 lists the 高新技术企业 reward only', async () => {
      await open(phone, '#/e/policies');
      await tid(phone, 'policies-tab-all').click();
      await atHash(phone, /^#\/e\/policies\?tab=all$/, 'the catalogue');
      await phone.locator(`[data-testid="policies-field"][data-value="${science.id}"]`).click();
      await eventually(async () => {
        const titles = await tid(phone, 'policies-list').getByTestId('policy-item-title').allInnerTexts();
        return titles.length === 1 && titles[0] === MAY_FIT;
      }, 'only the reward under 科技');
      checkEqual(await phone.locator(`[data-testid="policies-field"][data-value="${science.id}"]`).getAttribute('aria-pressed'), 'true', 'the chip pressed');
    });
    await step('searched for 贴息: the loan subsidy, marked 符合', async () => {
      await phone.locator('[data-testid="policies-field"][data-value=""]').click();
      await tid(phone, 'policies-search').fill('贴息');
      await tid(phone, 'policies-search').press('Enter');
      await atHash(phone, /[?&]q=%E8%B4%B4%E6%81%AF/, 'the search in the address');
      await eventually(async () => {
        const titles = await tid(phone, 'policies-list').getByTestId('policy-item-title').allInnerTexts();
        return titles.length === 1 && titles[0] === FITS;
      }, `only ${FITS} found`);
      checkEqual(await itemOf(phone, ids.fits).getAttribute('data-fit'), 'fits', 'marked from the recommendations');
      await noWiderThan(phone, 390, 'the catalogue');
      await shot(phone, 'policies-search-phone.png');
    });
    await step('its page: what it gives, who it is for (each ✓), how to apply, the full text folded', async () => {
      await itemOf(phone, ids.fits).click();
      await atHash(phone, new RegExp(`^#/e/policies/${ids.fits}$`), 'the policy');
      await textMatches(tid(phone, 'policy-title'), FITS, 'its title');
      await textMatches(tid(phone, 'policy-benefit'), '2%', 'what it gives');
      checkEqual(await tid(phone, 'policy-standing').getAttribute('data-fit'), 'fits', 'its standing');
      const marks = await tid(phone, 'policy-criterion').evaluateAll((els) => els.map((e) => `${e.dataset.criterion}:${e.dataset.mark}`));
      checkEqual(marks.join(','), 'size:met,founded:met', 'the criteria, each met');
      await textMatches(phone.locator('[data-testid="policy-criterion"][data-criterion="size"]'), '中型企业、小型企业、微型企业', 'the sizes in words');
      await textMatches(tid(phone, 'policy-how'), '贷款合同', 'how to apply');
      await textMatches(tid(phone, 'policy-contact'), '0731-88000002', 'the contact');
      checkEqual(await phone.locator('[data-testid="policy-contact"] a[href="tel:073188000002"]').count(), 1, 'the number to call');
      await visible(tid(phone, 'policy-ask'), '政策咨询');
      await visible(tid(phone, 'policy-apply'), '我要申报');
      await noWiderThan(phone, 390, 'the policy page');
      await shot(phone, 'policy-detail-phone.png');
    });
    await step('an empty statement is refused where it was typed; nothing is filed', async () => {
      const before = (await apiOk('GET', `/policy-applications?policy_id=${ids.fits}`, { token: tokens.enterprise })).items.length;
      await tid(phone, 'policy-apply').click();
      await atHash(phone, new RegExp(`^#/e/policies/${ids.fits}/apply$`), 'the application form');
      await tid(phone, 'apply-amount').fill('200000');
      await tid(phone, 'apply-submit').click();
      const field = phone.locator('.field.invalid');
      await visible(field, 'the statement marked');
      check((await field.innerText()).includes('请填写申报说明'), 'says what is missing');
      checkEqual(await tid(phone, 'apply-statement').getAttribute('aria-invalid'), 'true', 'the statement invalid');
      const after = (await apiOk('GET', `/policy-applications?policy_id=${ids.fits}`, { token: tokens.enterprise })).items.length;
      checkEqual(after, before, 'overApi: the applications of the policy');
      await shot(phone, 'policy-apply-error-phone.png');
    });
    await step('with a statement and 200000 元 it is filed; its page shows 20 万元 and the timeline', async () => {
      await tid(phone, 'apply-statement').fill(STATEMENT);
      await tid(phone, 'apply-submit').click();
      await atHash(phone, /^#\/e\/applications\/[^?]+\?created=1$/, 'the application');
      applicationId = decodeURIComponent(new URL(phone.url()).hash.split('/')[3].split('?')[0]);
      await visible(tid(phone, 'application-created'), 'the filing confirmed');
      checkEqual(await tid(phone, 'application-status').getAttribute('data-status'), 'submitted', 'its status');
      checkEqual((await tid(phone, 'application-status').innerText()).trim(), '待审核', 'named');
      checkEqual((await tid(phone, 'application-requested').innerText()).trim(), '20 万元', 'the amount asked, in yuan');
      await textMatches(tid(phone, 'application-statement'), STATEMENT, 'the statement');
      const actions = await tid(phone, 'application-event').evaluateAll((els) => els.map((e) => e.dataset.action));
      checkEqual(actions.join(','), 'applied', 'the timeline');
      const a = await apiOk('GET', `/policy-applications/${applicationId}`, { token: tokens.enterprise });
      checkEqual(a.requested_fen, 20_000_000, 'overApi: the amount sent in fen');
      checkEqual(a.channel, 'online', 'overApi: filed online');
      checkEqual(a.policy_id, ids.fits, 'overApi: for the policy');
      await noWiderThan(phone, 390, 'the application');
      await shot(phone, 'policy-application-phone.png');
    });
    await step('the policy now shows the application and offers no second one; 我的申报 lists it', async () => {
      await open(phone, `#/e/policies/${ids.fits}`);
      const notice = tid(phone, 'policy-application');
      await visible(notice, 'the application on the policy');
      checkEqual(await notice.getAttribute('data-id'), applicationId, 'this application');
      checkEqual(await tid(phone, 'policy-apply').count(), 0, '我要申报 offered again');
      await visible(tid(phone, 'policy-view-application'), '查看申报');
      await open(phone, '#/e/applications');
      await atHash(phone, /^#\/e\/policies\?tab=mine$/, '我的申报');
      const item = phone.locator(`[data-testid="application-item"][data-id="${applicationId}"]`);
      await visible(item, 'the application in 我的申报');
      checkEqual((await item.getByTestId('application-item-title').innerText()).trim(), FITS, 'named by its policy');
    });
  });

  await scenario('the department refuses it: the message opens the application, which may be made again', async () => {
    await step('overApi: the department refuses it with a reason', async () => {
      check(applicationId, 'the application of the scenario before');
      const r = await apiOk('POST', `/policy-applications/${applicationId}/refuse`, { token: tokens.admin, body: { reason: REASON } }, [200]);
      checkEqual(r.status, 'refused', 'refused');
    });
    await step('the message opens the application: 未通过, the reason, both steps', async () => {
      await open(phone, '#/messages');
      const msg = phone.locator(`[data-testid="message-item"][data-event="application_refused"][data-application="${applicationId}"]`);
      await eventually(async () => {
        if (await msg.count()) return true;
        await phone.reload();
        return false;
      }, 'the refusal in the message centre', 15_000, 1000);
      await msg.click();
      await atHash(phone, new RegExp(`^#/e/applications/${applicationId}$`), 'the application opens');
      checkEqual(await tid(phone, 'application-status').getAttribute('data-status'), 'refused', 'its status');
      await textMatches(tid(phone, 'application-refusal'), REASON, 'the reason');
      const actions = await tid(phone, 'application-event').evaluateAll((els) => els.map((e) => e.dataset.action));
      checkEqual(actions.join(','), 'refused,applied', 'the timeline, newest first');
      await shot(phone, 'policy-application-refused-phone.png');
    });
    await step('the links of SMS and e-mail open the enterprise\'s own pages', async () => {
      await phone.goto(`/#/applications/${applicationId}`);
      await atHash(phone, new RegExp(`^#/e/applications/${applicationId}$`), 'the application link');
      await visible(tid(phone, 'application-status'), 'the application');
      await phone.goto(`/#/policies/${ids.fits}`);
      await atHash(phone, new RegExp(`^#/e/policies/${ids.fits}$`), 'the policy link');
      await visible(tid(phone, 'policy-title'), 'the policy');
    });
    await step('the policy offers 重新申报', async () => {
      await visible(tid(phone, 'policy-apply'), 'the button to apply again');
      checkEqual((await tid(phone, 'policy-apply').innerText()).trim(), '重新申报', 'named so');
      checkEqual(await tid(phone, 'policy-application').getAttribute('data-status'), 'refused', 'the refused application shown');
    });
  });

  await scenario('a question about a policy is filed as an inquiry', async () => {
    await step('政策咨询: the question opens as the enterprise\'s request', async () => {
      await open(phone, `#/e/policies/${ids.mayFit}`);
      await tid(phone, 'policy-ask').click();
      await atHash(phone, new RegExp(`^#/e/policies/${ids.mayFit}/ask$`), 'the question form');
      checkEqual(await tid(phone, 'ask-contact-name').inputValue(), me.name, 'the contact filled in');
      await tid(phone, 'ask-description').fill(QUESTION);
      await shot(phone, 'policy-ask-phone.png');
      await tid(phone, 'ask-submit').click();
      await atHash(phone, /^#\/e\/tickets\/[^?]+\?created=1$/, 'the request');
      await textMatches(tid(phone, 'detail-title'), `政策咨询：${MAY_FIT}`, 'its title');
      await textMatches(tid(phone, 'ticket-kind'), '咨询', 'an inquiry');
      await textMatches(tid(phone, 'ticket-description-text'), QUESTION, 'the question');
    });
  });

  await scenario('企业信息 completed: the may-fit policy fits', async () => {
    await step('我的 › 企业信息: the district\'s facts and the form, verified', async () => {
      await open(phone, '#/e/me');
      await tid(phone, 'me-traits').click();
      await atHash(phone, /^#\/e\/profile$/, '企业信息');
      await textMatches(tid(phone, 'traits-name'), '湖南望城绿源食品有限公司', 'the name');
      checkEqual(await tid(phone, 'traits-verified').getAttribute('data-verified'), 'true', 'verified (the precondition set it as staff)');
      checkEqual(await phone.locator('[data-testid="traits-qual"]:checked').count(), 0, 'no qualification ticked');
      checkEqual(await tid(phone, 'traits-qual-none').isChecked(), false, '以上都没有 not ticked: not stated');
      check(await phone.locator('[data-testid="traits-scale-above"]').isChecked(), 'the scale stated: 规上');
      await noWiderThan(phone, 390, '企业信息');
    });
    await step('ticking 高新技术企业 saves it 待核实', async () => {
      await phone.locator(`[data-testid="traits-qual"][value="${hightech.id}"]`).check();
      await tid(phone, 'traits-save').click();
      await eventually(async () => (await tid(phone, 'traits-verified').getAttribute('data-verified')) === 'false', '待核实');
      checkEqual((await tid(phone, 'traits-verified').innerText()).trim(), '待核实', 'named');
      await visible(tid(phone, 'traits-unverified-note'), 'why');
      check(await phone.locator(`[data-testid="traits-qual"][value="${hightech.id}"]`).isChecked(), 'kept ticked');
      const tr = await apiOk('GET', `/enterprises/${me.enterprise_id}/traits`, { token: tokens.enterprise });
      checkEqual(JSON.stringify(tr.qualification_ids), JSON.stringify([hightech.id]), 'overApi: the qualifications stored');
      checkEqual(tr.verified, false, 'overApi: unverified');
      checkEqual(tr.scale, 'above', 'overApi: the rest unchanged');
      await shot(phone, 'policy-profile-phone.png');
    });
    await step('the reward now fits: ✓ on its page, 符合 on the home', async () => {
      await open(phone, `#/e/policies/${ids.mayFit}`);
      checkEqual(await tid(phone, 'policy-standing').getAttribute('data-fit'), 'fits', 'its standing');
      checkEqual(await phone.locator('[data-testid="policy-criterion"][data-criterion="qualifications"]').getAttribute('data-mark'), 'met', 'the qualifications ✓');
      await textMatches(phone.locator('[data-testid="policy-criterion"][data-criterion="qualifications"]'), '贵企业：高新技术企业', 'its own');
      await visible(tid(phone, 'policy-apply'), '我要申报');
      await shot(phone, 'policy-fits-phone.png');
      await open(phone, '#/e');
      const may = itemOf(tid(phone, 'home-policies'), ids.mayFit);
      await visible(may, 'the reward on the home');
      checkEqual(await may.getAttribute('data-fit'), 'fits', 'now 符合');
      checkEqual(await may.getByTestId('policy-unknown').count(), 0, 'nothing unknown');
    });
    await step('the policy\'s 完善企业信息 leads to the same form', async () => {
      await apiOk('PATCH', `/enterprises/${me.enterprise_id}/traits`, { token: tokens.admin, body: { qualification_ids: null } }, [200]);
      await open(phone, `#/e/policies/${ids.mayFit}`);
      await tid(phone, 'policy-complete-profile').click();
      await atHash(phone, /^#\/e\/profile$/, '企业信息');
      await visible(tid(phone, 'traits-form'), 'the form');
    });
  });

  await scenario('the pages on a desk', async () => {
    const desk = await signedIn(browser, contexts, 'enterprise', /^#\/e/, DESKTOP);
    watchPages(desk);
    await step('the policy and 为您推荐 at 1440 px', async () => {
      await open(desk, `#/e/policies/${ids.fits}`);
      await visible(tid(desk, 'policy-title'), 'the policy');
      await noWiderThan(desk, 1440, 'the policy on a desk');
      await shot(desk, 'policy-detail-desk.png');
      await open(desk, '#/e/policies');
      await eventually(async () => (await tid(desk, 'policies-list').getByTestId('policy-item').count()) >= 3, 'the recommendations');
      await shot(desk, 'policies-recommended-desk.png');
    });
  });

  await scenario("the enterprise's pages load no staff or admin code", async () => {
    await step('the files its sessions fetched', async () => {
      const files = (await Promise.all(contexts.map((c) => c.requests()))).flat().filter((r) => r.path.startsWith('/assets/'));
      check(files.length > 0, 'files were fetched');
      const desk = files.filter((r) => STAFF_ONLY.test(r.path)).map((r) => r.path);
      check(!desk.length, `an enterprise session fetched staff or admin files: ${[...new Set(desk)].join(', ')}`);
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
