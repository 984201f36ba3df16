// 送政策 for a department (issue 20) through the desks' pages, in Debian's Chromium:
//
//   - 王芳 (cadre.hr, 区人力资源和社会保障局) drafts a 免申即享 policy on a phone: the form sent
//     empty (and with a window closing before it opens) shows the server's 422 under each field
//     it names, and nothing is made; filled in (an industry chain typed, sizes ticked, 3,000 元) it
//     is saved as a draft her page shows, with no 发布 for her;
//   - the administrator finds it among the drafts at 1440 px and publishes it: the buttons on the
//     page are exactly what the policy's `allowed` maps to; amended with a 修订说明 (refused
//     without one), it has two versions, the first one's text readable as it was;
//   - 王芳's fitting list: the counts are the API's, 50 a page with 加载更多, the unknown criterion
//     (企业规模) of those that may fit, 待核实 on the enterprise that changed its own information;
//     three enterprises chosen (one on the second page) and granted 3,000 元 each in one step; the
//     result says so, each now has an approved application (channel `granted`), and each
//     enterprise's people get the message (policy_granted) — 陈静 in her message centre too;
//   - an enterprise's online application is approved (with an amount) and paid by 张伟 (cadre,
//     区工业和信息化局) on a phone, the timeline growing at each step; the dispatcher reads it
//     without buttons;
//   - the year's 集中兑付 list downloads through a signed link; many and long policies, and an
//     empty search, look right at 390 and 1440 px (nothing wider than the screen);
//   - the dashboard's policy card, when the dashboard has one (`policy-panel`).
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/policies-grant.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Preconditions made over the API are named so (`overApi`).

import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEMO_PASSWORD, PHONE, DESKTOP, SCREENSHOTS_DIR,
  check, checkEqual, eventually, visible,
  scenario, step, watchPages, launch, shot,
  apiOk, apiLogin, startWatchdog, endRun, signedIn, newCreditCode, newPhone,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);

const TITLE = '望城区失业保险稳岗返还（绿色食品产业链中小微企业专项）免申即享实施办法';
const LONG_NAME = '湖南望城经济技术开发区绿色食品精深加工产业园预制菜中央厨房与冷链物流配送一体化有限责任公司';
/** Enterprises of the chain made for the list (more than a page of 50). */
const MANY = 55;
const LONG_TITLE = '关于进一步支持望城经开区、铜官片区、滨江新城先进储能材料与智能终端产业链中小微企业技术改造、数字化转型和首台套产品推广应用的若干政策措施（试行）';

/** Today in China, YYYY-MM-DD. */
function todayCN() { return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10); }

/** The action buttons each of a policy's `allowed` draws (staff/policy-detail.js). */
const POLICY_BUTTONS = {
  edit: ['policy-edit'],
  publish: ['policy-publish'],
  amend: ['policy-amend'],
  withdraw: ['policy-withdraw'],
  see_fitting: ['policy-fitting', 'policy-applications'],
  grant: ['policy-grant'],
  record_application: ['policy-record'],
};

async function buttonsOn(page) {
  const box = page.getByTestId('policy-actions');
  if (!(await box.count())) return [];
  return (await box.locator('[data-testid]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).sort();
}

async function expectButtons(page, token, id, who) {
  const p = await apiOk('GET', `/policies/${id}`, { token });
  const expected = [...new Set(p.allowed.flatMap((a) => POLICY_BUTTONS[a] || [`(no button for ${a})`]))].sort();
  await eventually(async () => JSON.stringify(await buttonsOn(page)) === JSON.stringify(expected),
    `${who}'s buttons to be ${expected.join(' ')} (allowed: ${p.allowed.join(' ')}; on the page: ${(await buttonsOn(page)).join(' ')})`);
  return p;
}

/** A screenshot of what is in view (a dialog, the top of a long list), when SCREENSHOTS_DIR is set. */
async function viewShot(page, name) {
  if (!SCREENSHOTS_DIR) return;
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.evaluate(() => document.querySelectorAll('[data-testid="toast"]').forEach((n) => n.remove()));
  await page.screenshot({ path: join(SCREENSHOTS_DIR, name) });
}

/** The whole page from its top (a sticky header would otherwise sit in the middle of it). */
async function pageShot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, name);
}

async function fits(page, width, what) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= width, `${what}: nothing wider than the screen (${wide} px at ${width})`);
}

/** An enterprise user of `enterpriseId` who can read their messages: made, password chosen, texts accepted (over the API). */
async function enterpriseUser(admin, enterpriseId) {
  const username = `ent${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
  const first = 'Start#2026abc';
  await apiOk('POST', '/users', { token: admin, body: { username, password: first, name: '李四', phone: newPhone(), role: 'enterprise', enterprise_id: enterpriseId } }, [201]);
  let token = await apiLogin(username, first);
  const changed = await apiOk('POST', '/me/password', { token, body: { current_password: first, new_password: 'Chosen#2026xyz' } }, [200]);
  token = changed.access_token;
  const me = await apiOk('GET', '/me', { token }, [200]);
  if (me.consent_required) {
    const legal = await apiOk('GET', '/legal', {}, [200]);
    token = (await apiOk('POST', '/me/consent', { token, body: { version: legal.version } }, [200])).access_token;
  }
  return token;
}

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/policies-grant-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const tokens = {
    admin: await apiLogin('admin', DEMO_PASSWORD),
    hr: await apiLogin('cadre.hr', DEMO_PASSWORD),
    industry: await apiLogin('cadre', DEMO_PASSWORD),
    dispatcher: await apiLogin('dispatcher', DEMO_PASSWORD),
    enterprise: await apiLogin('enterprise', DEMO_PASSWORD),
  };
  const today = todayCN();
  const year = today.slice(0, 4);
  const chen = await apiOk('GET', '/me', { token: tokens.enterprise });

  const made = await step(`overApi: ${MANY} enterprises of 绿色食品 (a long name among them), one with a user of its own; 陈静's enterprise changes its own information`, async () => {
    const ids = [];
    for (let i = 0; i < MANY; i++) {
      const e = await apiOk('POST', '/enterprises', { token: tokens.admin, body: {
        name: i === 0 ? LONG_NAME : `望城绿色食品配套企业${String(i).padStart(2, '0')}号有限公司`,
        credit_code: newCreditCode(), area: i % 2 ? '铜官片区' : '望城经开区', industry_chain: '绿色食品',
      } }, [201]);
      ids.push(e.id);
    }
    const longUser = await enterpriseUser(tokens.admin, ids[0]);
    // The enterprise's own change: unverified until staff confirm it.
    await apiOk('PATCH', `/enterprises/${chen.enterprise_id}/traits`, { token: tokens.enterprise, body: { employees: 92 } }, [200]);
    const t = await apiOk('GET', `/enterprises/${chen.enterprise_id}/traits`, { token: tokens.admin });
    check(t.verified === false, 'the enterprise\'s own change is unverified');
    return { ids, longId: ids[0], longUser };
  });

  let policyId = null;
  const hrPhone = await signedIn(browser, contexts, 'cadre.hr', /^#\/c/, PHONE);
  const hrCtx = contexts[contexts.length - 1];

  await scenario('a cadre drafts a 免申即享 policy on a phone', async () => {
    watchPages(hrPhone);
    await step('政策 in the tab bar; 新建政策 opens the form', async () => {
      await tid(hrPhone, 'tabbar-policies').click();
      await eventually(async () => new URL(hrPhone.url()).hash.startsWith('#/s/policies'), 'the policy list');
      await visible(tid(hrPhone, 'policy-item'), 'the policies');
      await fits(hrPhone, 390, 'the list');
      await pageShot(hrPhone, 'staff-policies-phone.png');
      await tid(hrPhone, 'policy-new').click();
      await visible(tid(hrPhone, 'policy-form'), 'the form');
      checkEqual(await tid(hrPhone, 'policy-form').getAttribute('data-mode'), 'new', 'a new policy');
      check(await tid(hrPhone, 'pf-department').isDisabled(), 'a cadre drafts for their own department');
    });
    await step('sent empty, the server\'s 422 shows under each field; nothing is made', () => hrCtx.allow([/status of 422.*\/api\/v1\/policies/], async () => {
      const before = await apiOk('GET', '/policies?status=draft', { token: tokens.hr });
      await tid(hrPhone, 'pf-opens').fill(`${year}-12-20`);
      await tid(hrPhone, 'pf-closes').fill(`${year}-12-10`);
      await tid(hrPhone, 'pf-submit').click();
      const invalid = async () => hrPhone.locator('.field.invalid').evaluateAll((els) => els.map((e) => {
        const c = e.querySelector('[data-testid]');
        return `${c ? c.getAttribute('data-testid') : '?'}:${e.querySelector('.field-error').textContent}`;
      }));
      await eventually(async () => (await invalid()).length >= 5, 'the fields in error');
      const errs = await invalid();
      for (const [id, text] of [['pf-title', '不能为空'], ['pf-summary', '不能为空'], ['pf-field', '请选择政策领域'], ['pf-amount', '请填写补助金额'], ['pf-benefit-desc', '不能为空'], ['pf-closes', '不能早于开始日期']]) {
        check(errs.some((e) => e.startsWith(`${id}:`) && e.includes(text)), `${id} says ${text} (errors: ${errs.join(' | ')})`);
      }
      check(!errs.some((e) => /[a-z]{4,}/.test(e.split(':')[1])), `no English under the fields (${errs.join(' | ')})`);
      const after = await apiOk('GET', '/policies?status=draft', { token: tokens.hr });
      checkEqual(after.items.length, before.items.length, 'no draft made');
      await hrPhone.waitForTimeout(600); // the smooth scroll to the first field in error
      await viewShot(hrPhone, 'staff-policy-form-errors-phone.png');
    }));
    await step('filled in, it is saved as a draft: her page, no 发布 for her', async () => {
      await tid(hrPhone, 'pf-title').fill(TITLE);
      await tid(hrPhone, 'pf-summary').fill('对绿色食品产业链上年度未裁员或裁员率低于规定比例的中小微参保企业，按上年度实际缴纳失业保险费返还，企业无需申报。');
      await tid(hrPhone, 'pf-docno').fill(`望人社发〔${year}〕18号`);
      await tid(hrPhone, 'pf-field').selectOption({ label: '商务' });
      await tid(hrPhone, 'pf-free-grant').check();
      await tid(hrPhone, 'pf-amount').fill('3000');
      await tid(hrPhone, 'pf-benefit-desc').fill('每家返还 3,000 元，由人社部门根据参保数据直接发放');
      await tid(hrPhone, 'pf-chains-input').fill('绿色食品');
      await tid(hrPhone, 'pf-chains-add').click();
      await visible(hrPhone.locator('[data-testid="pf-chains-chip"][data-value="绿色食品"]'), 'the chain chosen');
      for (const s of ['medium', 'small', 'micro']) await hrPhone.locator(`[data-testid="pf-size"][data-value="${s}"]`).check();
      await tid(hrPhone, 'pf-opens').fill('');
      await tid(hrPhone, 'pf-closes').fill('');
      await tid(hrPhone, 'pf-expires').fill(`${year}-12-31`);
      await tid(hrPhone, 'pf-how').fill('免申即享，无需申报。');
      await tid(hrPhone, 'pf-contact').fill('区人力资源和社会保障局就业科 0731-88000003');
      await fits(hrPhone, 390, 'the form');
      await pageShot(hrPhone, 'staff-policy-form-phone.png');
      await tid(hrPhone, 'pf-submit').click();
      await eventually(async () => /^#\/s\/policies\/[0-9a-f-]{36}$/.test(new URL(hrPhone.url()).hash), 'the new policy\'s page');
      policyId = decodeURIComponent(new URL(hrPhone.url()).hash.split('/').pop());
      await visible(tid(hrPhone, 'policy-detail'), 'its page');
      checkEqual((await tid(hrPhone, 'policy-title').innerText()).trim(), TITLE, 'the title');
      checkEqual(await tid(hrPhone, 'policy-status').first().getAttribute('data-status'), 'draft', 'a draft');
      await visible(tid(hrPhone, 'policy-draft-notice'), 'the draft\'s notice');
      await visible(tid(hrPhone, 'policy-free-tag'), '免申即享');
      const p = await expectButtons(hrPhone, tokens.hr, policyId, 'the cadre');
      check(!p.allowed.includes('publish'), 'a cadre does not publish');
      checkEqual(p.benefit.amount_fen, 300000, '3,000 元 sent as fen');
      checkEqual(p.free_grant, true, '免申即享');
      checkEqual(JSON.stringify(p.criteria.industry_chains), JSON.stringify(['绿色食品']), 'the chain');
      checkEqual(JSON.stringify([...p.criteria.sizes].sort()), JSON.stringify(['medium', 'micro', 'small']), 'the sizes');
      await fits(hrPhone, 390, 'the draft\'s page');
      await pageShot(hrPhone, 'staff-policy-draft-phone.png');
    });
  });

  const desk = await signedIn(browser, contexts, 'admin', /^#\/a/, DESKTOP);
  const deskCtx = contexts[contexts.length - 1];

  await scenario('the administrator publishes it, and amends it with a note', async () => {
    watchPages(desk);
    check(policyId, 'the draft was made');
    await step('惠企政策 in the menu; the drafts filter finds it', async () => {
      await tid(desk, 'nav-policies').first().click();
      await eventually(async () => new URL(desk.url()).hash.startsWith('#/s/policies'), 'the policy list');
      await tid(desk, 'policy-filter-status').selectOption('draft');
      const item = desk.locator(`[data-testid="policy-item"][data-id="${policyId}"]`);
      await visible(item, 'the draft in the list');
      checkEqual(await item.getAttribute('data-status'), 'draft', 'listed as a draft');
      await visible(item.getByTestId('policy-free-tag'), 'its 免申即享 tag');
      await eventually(async () => (await desk.locator('[data-testid="policy-item"]:not([data-status="draft"])').count()) === 0, 'drafts only');
      await fits(desk, 1440, 'the list');
      await item.click();
      await visible(tid(desk, 'policy-detail'), 'its page');
      await expectButtons(desk, tokens.admin, policyId, 'the administrator (draft)');
    });
    await step('发布: published, version 1, the buttons follow `allowed`', async () => {
      await tid(desk, 'policy-publish').click();
      await tid(desk, 'dialog-ok').click();
      await eventually(async () => (await tid(desk, 'policy-status').first().getAttribute('data-status')) === 'published', 'published');
      await eventually(async () => (await tid(desk, 'policy-version').count()) === 1, 'one version');
      const p = await expectButtons(desk, tokens.admin, policyId, 'the administrator (published)');
      check(p.allowed.includes('amend') && p.allowed.includes('withdraw'), 'amend and withdraw offered');
      await fits(desk, 1440, 'the policy page');
      await pageShot(desk, 'staff-policy-desk.png');
    });
    await step('修订 refused without a note, then saved as version 2; version 1 reads as it was', () => deskCtx.allow([/status of 422.*\/api\/v1\/policies/], async () => {
      await tid(desk, 'policy-amend').click();
      await visible(tid(desk, 'policy-form'), 'the form');
      checkEqual(await tid(desk, 'policy-form').getAttribute('data-mode'), 'amend', 'an amendment');
      checkEqual(await tid(desk, 'pf-amount').inputValue(), '3000', 'the amount in 元');
      await tid(desk, 'pf-contact').fill('区人力资源和社会保障局就业科 0731-88000099');
      await tid(desk, 'pf-submit').click();
      await eventually(async () => (await desk.locator('.field.invalid [data-testid="pf-note"]').count()) === 1, 'the note in error');
      const err = (await desk.locator('.field.invalid .field-error').first().innerText()).trim();
      checkEqual(err, '请填写修订说明', 'the note\'s error');
      await tid(desk, 'pf-note').fill('更正咨询电话。');
      await pageShot(desk, 'staff-policy-amend-desk.png');
      await tid(desk, 'pf-submit').click();
      await eventually(async () => /^#\/s\/policies\/[0-9a-f-]{36}$/.test(new URL(desk.url()).hash), 'back on its page');
      await eventually(async () => (await tid(desk, 'policy-version').count()) === 2, 'two versions');
      checkEqual(await tid(desk, 'policy-version').first().getAttribute('data-version'), '2', 'the latest first');
      check((await tid(desk, 'policy-versions').innerText()).includes('更正咨询电话'), 'its note shown');
      check((await tid(desk, 'policy-apply').innerText()).includes('0731-88000099'), 'the new contact');
      await desk.locator('[data-testid="policy-version"][data-version="1"] [data-testid="policy-version-open"]').click();
      const old = await visible(tid(desk, 'policy-version-text'), 'version 1\'s text');
      check((await old.innerText()).includes('0731-88000003'), 'version 1 keeps the old contact');
      await viewShot(desk, 'staff-policy-version-desk.png');
      await tid(desk, 'dialog-cancel').click();
    }));
  });

  const granted = [];
  await scenario('the department\'s fitting list, and the grant in one step', async () => {
    watchPages(hrPhone);
    check(policyId, 'the policy was published');
    let counts;
    await step('免申即享发放 leads to the enterprises that fit: the API\'s counts, 50 a page', async () => {
      await tid(hrPhone, 'nav-back').click();
      await eventually(async () => new URL(hrPhone.url()).hash.startsWith('#/s/policies'), 'the list');
      await visible(hrPhone.locator(`[data-testid="policy-item"][data-id="${policyId}"]`), 'the policy, published').then((x) => x.click());
      await expectButtons(hrPhone, tokens.hr, policyId, 'the department\'s cadre (published)');
      await tid(hrPhone, 'policy-grant').click();
      await visible(tid(hrPhone, 'fitting-page'), 'the fitting page');
      const r = await apiOk('GET', `/policies/${policyId}/enterprises?limit=50`, { token: tokens.hr });
      counts = r.counts;
      check(counts.fits >= 1 && counts.may_fit >= MANY, `the chain's enterprises counted (${JSON.stringify(counts)})`);
      for (const key of ['fits', 'may_fit', 'told', 'applied']) {
        await eventually(async () => (await hrPhone.locator(`[data-testid="fitting-count"][data-key="${key}"] .ps-count-value`).innerText()).trim() === String(counts[key]), `${key} = ${counts[key]}`);
      }
      await eventually(async () => (await tid(hrPhone, 'fitting-item').count()) === 50, 'a page of 50');
      await visible(tid(hrPhone, 'load-more'), '加载更多');
      const chenItem = hrPhone.locator(`[data-testid="fitting-item"][data-id="${chen.enterprise_id}"]`);
      await visible(chenItem, '陈静\'s enterprise');
      checkEqual(await chenItem.getAttribute('data-fit'), 'fits', 'it fits');
      await visible(chenItem.getByTestId('fitting-unverified'), '待核实 on it');
      const may = hrPhone.locator('[data-testid="fitting-item"][data-fit="may_fit"]').first();
      check((await may.getByTestId('fitting-unknown').innerText()).includes('企业规模'), 'what a may-fit one leaves unknown');
      await fits(hrPhone, 390, 'the fitting list');
      await viewShot(hrPhone, 'staff-fitting-phone.png');
    });
    await step('only those that fit, then all again', async () => {
      const radio = async (id) => hrPhone.locator(`label[for="${await tid(hrPhone, id).getAttribute('id')}"]`).click();
      await radio('fitting-filter-fits');
      await eventually(async () => new URL(hrPhone.url()).hash.includes('fit=fits'), 'the filter in the address');
      await eventually(async () => (await tid(hrPhone, 'fitting-item').count()) === counts.fits
        && (await hrPhone.locator('[data-testid="fitting-item"][data-fit="may_fit"]').count()) === 0, 'those that fit only');
      await radio('fitting-filter-all');
      await eventually(async () => (await tid(hrPhone, 'fitting-item').count()) === 50, 'all again');
    });
    await step('three chosen, one of them on the second page; 3,000 元 each in one step', async () => {
      const chenItem = hrPhone.locator(`[data-testid="fitting-item"][data-id="${chen.enterprise_id}"]`);
      await chenItem.getByTestId('fitting-check').check();
      const other = hrPhone.locator(`[data-testid="fitting-item"][data-fit="may_fit"]:not([data-id="${made.longId}"])`);
      const otherId = await other.first().getAttribute('data-id');
      await other.first().getByTestId('fitting-check').check();
      const longItem = hrPhone.locator(`[data-testid="fitting-item"][data-id="${made.longId}"]`);
      while (!(await longItem.count())) {
        check(await tid(hrPhone, 'load-more').count(), 'the long-named enterprise is listed');
        const shown = await tid(hrPhone, 'fitting-item').count();
        await tid(hrPhone, 'load-more').click();
        await eventually(async () => (await tid(hrPhone, 'fitting-item').count()) > shown
          && ((await tid(hrPhone, 'load-more').count()) > 0 || (await tid(hrPhone, 'list-end').count()) > 0), 'the next page');
      }
      await longItem.getByTestId('fitting-check').check();
      await eventually(async () => (await tid(hrPhone, 'fitting-selected').innerText()).includes('已选 3 家'), '3 chosen');
      granted.push(chen.enterprise_id, otherId, made.longId);
      await tid(hrPhone, 'fitting-grant').click();
      const dlg = await visible(hrPhone.locator('[data-testid="form-dialog"][data-action="grant"]'), 'the grant dialog');
      checkEqual(await tid(hrPhone, 'grant-amount').inputValue(), '3000', 'the policy\'s amount, in 元');
      check((await dlg.innerText()).includes('3 家'), 'the dialog names how many');
      await tid(hrPhone, 'grant-note').fill(`${year} 年度第一批`);
      await viewShot(hrPhone, 'staff-grant-dialog-phone.png');
      await tid(hrPhone, 'dialog-ok').click();
      const result = await visible(tid(hrPhone, 'grant-result'), 'the result');
      checkEqual(await tid(hrPhone, 'grant-result-granted').getAttribute('data-count'), '3', 'three granted');
      checkEqual(await tid(hrPhone, 'grant-result-skipped').count(), 0, 'none skipped');
      check((await result.innerText()).includes(LONG_NAME), 'the long name listed');
      await fits(hrPhone, 390, 'the result');
      await viewShot(hrPhone, 'staff-grant-result-phone.png');
      await tid(hrPhone, 'dialog-ok').click();
    });
    await step('each now has an approved application, 免申即享, and no checkbox', async () => {
      const apps = await apiOk('GET', `/policy-applications?policy_id=${policyId}`, { token: tokens.hr });
      checkEqual(apps.items.length, 3, 'three applications');
      for (const a of apps.items) {
        check(granted.includes(a.enterprise_id), `granted to one chosen (${a.enterprise_name})`);
        checkEqual(a.status, 'approved', 'approved');
        checkEqual(a.channel, 'granted', '免申即享');
        checkEqual(a.approved_fen, 300000, '3,000 元');
      }
      await eventually(async () => (await hrPhone.locator(`[data-testid="fitting-count"][data-key="applied"] .ps-count-value`).innerText()).trim() === String(counts.applied + 3), 'applied + 3');
      const chenItem = hrPhone.locator(`[data-testid="fitting-item"][data-id="${chen.enterprise_id}"]`);
      await visible(chenItem.getByTestId('fitting-application'), 'its application on the list');
      checkEqual(await chenItem.getAttribute('data-application'), 'approved', 'approved');
      check(await chenItem.getByTestId('fitting-check').isDisabled(), 'not to be granted twice');
    });
  });

  await scenario('each enterprise\'s people are told', async () => {
    const enterprisePhone = await signedIn(browser, contexts, 'enterprise', /^#\/e/, PHONE);
    watchPages(enterprisePhone);
    await step('陈静 and the long-named enterprise\'s user have the message', async () => {
      for (const [who, token] of [['陈静', tokens.enterprise], ['the long-named enterprise\'s user', made.longUser]]) {
        const m = await eventually(async () => {
          const r = await apiOk('GET', '/messages?limit=50', { token });
          return r.items.find((x) => x.event === 'policy_granted' && x.policy_id === policyId);
        }, `${who}'s policy_granted message`);
        check(`${m.title}${m.body}`.includes('3,000'), `${who}: the amount told (${m.title} ${m.body})`);
      }
    });
    await step('陈静 reads it in her message centre', async () => {
      await enterprisePhone.goto('/#/messages');
      await eventually(async () => (await enterprisePhone.locator('main').innerText()).includes(TITLE.slice(0, 12)), 'the message in the list');
      await fits(enterprisePhone, 390, 'the message centre');
      await pageShot(enterprisePhone, 'staff-grant-message-phone.png');
    });
  });

  await scenario('an application approved and paid by the department, on a phone', async () => {
    const mfg = (await apiOk('GET', '/policies?q=先进制造业', { token: tokens.industry })).items.find((p) => p.title.includes('先进制造业'));
    check(mfg, 'the demo\'s manufacturing policy');
    const app = await step('overApi: 陈静\'s enterprise applies online for it, asking 120,000 元', async () => apiOk('POST', `/policies/${mfg.id}/applications`, {
      token: tokens.enterprise, body: { statement: '新建速冻食品智能化生产线，设备投资 1,500 万元，申请技术改造补助。', requested_fen: 12_000_000 },
    }, [201]));
    const phone = await signedIn(browser, contexts, 'cadre', /^#\/c/, PHONE);
    watchPages(phone);
    await step('申报审核 lists it under 待审核', async () => {
      await tid(phone, 'tabbar-policies').click();
      await tid(phone, 'policy-to-applications').click();
      await visible(tid(phone, 'payouts'), 'the payout list');
      await tid(phone, 'app-status-submitted').click();
      const item = phone.locator(`[data-testid="application-item"][data-id="${app.id}"]`);
      await visible(item, 'the application');
      checkEqual(await item.getAttribute('data-status'), 'submitted', '待审核');
      await eventually(async () => (await phone.locator('[data-testid="application-item"]:not([data-status="submitted"])').count()) === 0, 'submitted ones only');
      await fits(phone, 390, 'the applications');
      await pageShot(phone, 'staff-applications-phone.png');
      await item.click();
      await visible(tid(phone, 'application-detail'), 'its page');
      await visible(tid(phone, 'application-approve'), '审核通过');
      await visible(tid(phone, 'application-refuse'), '不予通过');
      checkEqual(await tid(phone, 'application-pay').count(), 0, 'no payment before approval');
    });
    await step('审核通过 with 100,000 元', async () => {
      await tid(phone, 'application-approve').click();
      await visible(phone.locator('[data-testid="form-dialog"][data-action="approve"]'), 'the dialog');
      checkEqual(await tid(phone, 'approve-amount').inputValue(), '120000', 'the amount asked, in 元');
      await tid(phone, 'approve-amount').fill('100000');
      await tid(phone, 'approve-note').fill('设备发票核减 20 万元。');
      await tid(phone, 'dialog-ok').click();
      await eventually(async () => (await tid(phone, 'application-status').first().getAttribute('data-status')) === 'approved', 'approved');
      await eventually(async () => (await tid(phone, 'application-event').count()) === 2, 'two steps on the timeline');
      checkEqual(await phone.locator('[data-testid="application-amount"][data-key="approved"]').getAttribute('data-fen'), '10000000', '100,000 元 approved');
      await visible(tid(phone, 'application-pay'), '登记兑付');
    });
    await step('登记兑付: paid, three steps', async () => {
      await tid(phone, 'application-pay').click();
      checkEqual(await tid(phone, 'pay-amount').inputValue(), '100000', 'the approved amount');
      await tid(phone, 'pay-note').fill(`财政集中支付 凭证 ${year}-1208`);
      await tid(phone, 'dialog-ok').click();
      await eventually(async () => (await tid(phone, 'application-status').first().getAttribute('data-status')) === 'paid', 'paid');
      const actions = await tid(phone, 'application-event').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
      checkEqual(actions.join(','), 'paid,approved,applied', 'the timeline, newest first');
      checkEqual(await tid(phone, 'application-actions').count(), 0, 'nothing left to do');
      const a = await apiOk('GET', `/policy-applications/${app.id}`, { token: tokens.industry });
      checkEqual(a.status, 'paid', 'paid');
      checkEqual(a.approved_fen, 10_000_000, 'approved 100,000 元');
      checkEqual(a.paid_fen, 10_000_000, 'paid 100,000 元');
      await fits(phone, 390, 'the application');
      await pageShot(phone, 'staff-application-phone.png');
    });
    await step('the dispatcher reads it, without buttons', async () => {
      const dispatcher = await signedIn(browser, contexts, 'dispatcher', /^#\/d/, DESKTOP);
      watchPages(dispatcher);
      const grantedApp = (await apiOk('GET', `/policy-applications?policy_id=${policyId}`, { token: tokens.dispatcher })).items[0];
      check(grantedApp, 'a granted application');
      await dispatcher.goto(`/#/s/applications/${grantedApp.id}`);
      await visible(tid(dispatcher, 'application-detail'), 'the application');
      await visible(tid(dispatcher, 'application-read-only'), 'who handles it');
      checkEqual(await tid(dispatcher, 'application-actions').count(), 0, 'no buttons for a dispatcher');
      await pageShot(dispatcher, 'staff-application-dispatcher-desk.png');
      await dispatcher.close();
    });
  });

  await scenario('the payout list, and many, long and no policies at 390 and 1440 px', async () => {
    watchPages(desk);
    await step('集中兑付清单 saves the year\'s .xlsx', () => deskCtx.allow([/status of 422.*\/api\/v1\/downloads/], async () => {
      await desk.goto('/#/s/applications');
      await visible(tid(desk, 'payouts-download'), 'the download');
      await visible(tid(desk, 'application-item'), 'the applications');
      await fits(desk, 1440, 'the applications');
      await pageShot(desk, 'staff-applications-desk.png');
      const [dl] = await Promise.all([desk.waitForEvent('download'), tid(desk, 'payouts-download').click()]);
      check(dl.suggestedFilename().endsWith('.xlsx'), `an .xlsx (${dl.suggestedFilename()})`);
      const path = await dl.path();
      check(path && readFileSync(path).subarray(0, 2).toString() === 'PK', 'a workbook (a zip) was saved');
      const url = new URL(dl.url());
      if (!url.pathname.startsWith('/api/v1/downloads/')) {
        // POST /downloads does not take /api/v1/policies/payouts.xlsx yet: the page saves the file itself.
        console.log(`      (no signed link for the payout list yet: saved from ${url.protocol})`);
      }
    }));
    await step('overApi: 24 more drafts, long titles among them', async () => {
      const fields = (await apiOk('GET', '/policy-terms?kind=field', { token: tokens.admin })).items;
      const depts = (await apiOk('GET', '/departments', { token: tokens.admin })).items;
      for (let i = 0; i < 24; i++) {
        await apiOk('POST', '/policies', { token: tokens.admin, body: {
          title: i % 3 === 0 ? `${LONG_TITLE}（第${i + 1}批）` : `望城区惠企政策测试第${i + 1}号`,
          department_id: depts[i % depts.length].id, field_id: fields[i % fields.length].id,
          summary: '测试用政策摘要。', benefit: i % 2 ? { kind: 'amount', amount_fen: 123_456_789_00, description: '最高补助 1.23 亿元（按项目总投资额的一定比例分档给予补助，具体以评审结果为准）' } : { kind: 'other', description: '优先推荐参加政府采购和首台套目录评审' },
          free_grant: i % 4 === 0,
        } }, [201]);
      }
    });
    await step('the list at 1440 and 390 px: a page of 20, 加载更多, nothing wider', async () => {
      await desk.goto('/#/s/policies');
      await eventually(async () => (await tid(desk, 'policy-item').count()) === 20, 'a page of 20');
      await visible(tid(desk, 'load-more'), '加载更多');
      await fits(desk, 1440, 'many policies');
      await pageShot(desk, 'staff-policies-many-desk.png');
      await hrPhone.goto('/#/s/policies');
      await visible(tid(hrPhone, 'policy-item'), 'the list');
      await fits(hrPhone, 390, 'many policies on a phone');
      await tid(hrPhone, 'policy-search').fill('没有这样的政策标题词');
      await tid(hrPhone, 'policy-search').press('Enter');
      await visible(hrPhone.locator('[data-testid="empty"]'), 'the empty search');
      await pageShot(hrPhone, 'staff-policies-empty-phone.png');
      await tid(hrPhone, 'policy-search').fill('绿色食品 稳岗返还');
      await tid(hrPhone, 'policy-search').press('Enter');
      await visible(hrPhone.locator(`[data-testid="policy-item"][data-id="${policyId}"]`), 'the policy found by its title');
    });
    await step('the dashboard\'s policy card, when it has one', async () => {
      await tid(desk, 'nav-dashboard').first().click();
      await eventually(async () => /^#\/a(\?|$)/.test(new URL(desk.url()).hash), 'the dashboard');
      await visible(desk.locator('.sa-kpi').first(), 'the dashboard drawn');
      const panel = desk.locator('[data-testid="policy-panel"]');
      if (await panel.count()) {
        await visible(panel, 'the policy card');
        await panel.scrollIntoViewIfNeeded();
        await pageShot(desk, 'staff-dashboard-policies-desk.png');
      } else {
        console.log('      (the dashboard has no policy card yet: not checked)');
      }
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
