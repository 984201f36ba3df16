// Accounts people manage themselves (issue 17), in Debian's Chromium:
//
//   - a new enterprise signs in by SMS code with a number that has no account and goes on to
//     register with the number already verified, accepting the user agreement and privacy
//     policy; its request is handled to the end and every step is in its message centre;
//   - its manager invites a colleague by phone; the colleague signs in by code and accepts the
//     texts first; the manager disables them;
//   - a third person registering the same enterprise asks to join, and the manager approves;
//   - the manager changes their phone with a code sent to the new number.
//
//   BASE_URL=http://127.0.0.1:18083 DEMO_PASSWORD=Qiyeshao@2026 SMS_PHONES_URL=… \
//   [SCREENSHOTS_DIR=/tmp/shots] node tests/e2e/accounts.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`) and the stand-in SMS gateway;
// tests/api/e2e.rs starts both and runs this. Preconditions made over the API are named so
// (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP,
  apiOk, apiLogin, check, checkEqual, eventually, visible, textMatches,
  scenario, step, watchPages, summary, launch, newMonitoredContext, shot,
  startWatchdog, readSmsCode, newCreditCode, newPhone,
  endRun,
  signIn,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);
const hashOf = (page) => new URL(page.url()).hash;

/** Opens `hash` afresh (going to the hash a page is at already would not load it again). */
async function open(page, hash) {
  await page.goto(`/${hash}`);
  await page.reload();
}

/** Signs `phone` in on the login page by SMS code (reading the code as from the phone). */
async function byCode(page, phone) {
  await page.goto('/#/login');
  await visible(tid(page, 'login-tab-sms'), 'the login page');
  await tid(page, 'login-phone').fill(phone);
  await tid(page, 'sms-send').click();
  const code = await readSmsCode(phone);
  await tid(page, 'login-code').fill(code);
  await tid(page, 'login-submit').click();
}

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/accounts-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const managerPhone = newPhone();
  const creditCode = newCreditCode();
  const password = 'Xinqiye-2026';
  const enterpriseName = `望城智造科技有限公司${Date.now().toString(36).slice(-4)}`;
  let manager; // the new enterprise's page

  await scenario('a number with no account signs in by code and registers, the number verified', async () => {
    const ctx = await newMonitoredContext(browser, 'new-enterprise@phone', PHONE);
    contexts.push(ctx);
    manager = await ctx.newPage();
    watchPages(manager);
    await step('the code signs nobody in: it leads to registration with the number verified', async () => {
      await byCode(manager, managerPhone);
      await eventually(async () => hashOf(manager) === '#/register', `the registration page (at ${manager.url()})`);
      await textMatches(tid(manager, 'reg-phone-verified'), new RegExp(`${managerPhone}[\\s\\S]*已验证`), 'the verified number');
      check(!(await tid(manager, 'reg-code').count()), 'no second code is asked for');
    });
    await step('registering needs consent to the texts, which a link shows', () => ctx.allow([], async () => {
      await tid(manager, 'reg-credit-code').fill(creditCode);
      await tid(manager, 'reg-enterprise-name').fill(enterpriseName);
      await tid(manager, 'reg-contact-name').fill('欧阳明');
      await tid(manager, 'reg-password').fill(password);
      await tid(manager, 'reg-password2').fill(password);
      await tid(manager, 'reg-submit').click();
      await textMatches(manager.locator('.field-consent .field-error'), /请阅读并勾选同意/, 'consent asked for');
      checkEqual(hashOf(manager), '#/register', 'still registering');
      const [legal] = await Promise.all([ctx.context.waitForEvent('page'), tid(manager, 'link-legal').click()]);
      await textMatches(legal.getByTestId('legal-privacy'), /手机号码/, 'the privacy policy in a new tab');
      await textMatches(legal.getByTestId('legal-version'), /第 1 版/, 'its version');
      await shot(legal, 'accounts-legal-phone.png');
      await legal.close();
      await shot(manager, 'accounts-register-verified-phone.png');
    }));
    await step('registered, the enterprise is at home and manages its account', async () => {
      await tid(manager, 'reg-consent').check();
      await tid(manager, 'reg-submit').click();
      await eventually(async () => hashOf(manager).startsWith('#/e'), `the enterprise home (at ${manager.url()})`);
      await manager.goto('/#/e/me');
      await visible(tid(manager, 'me-members'), 'the 企业成员 entry of a manager');
    });
  });

  await scenario('its request is handled to the end and every step is in its message centre', async () => {
    const title = `新厂区电力增容 ${Date.now().toString(36)}`;
    await step('overApi: filed by the new enterprise, accepted, assigned, signed, progressed, resolved and rated', async () => {
      const [ent, disp, cadre] = await Promise.all([
        apiLogin(managerPhone, password), apiLogin('dispatcher', DEMO_PASSWORD), apiLogin('cadre.power', DEMO_PASSWORD),
      ]);
      const cats = await apiOk('GET', '/categories', { token: ent });
      const cat = cats.items.find((c) => c.name === '用电报装');
      const depts = await apiOk('GET', '/departments', { token: disp });
      const dept = depts.items.find((d) => d.name === '国网望城供电公司');
      const users = await apiOk('GET', `/users?role=cadre&department_id=${dept.id}`, { token: disp });
      const li = users.items.find((u) => u.username === 'cadre.power');
      check(cat && dept && li, 'the demo category, department and cadre');
      const tk = await apiOk('POST', '/tickets', { token: ent, body: { kind: 'problem', category_id: cat.id, title, description: '新厂区需增容至 1600kVA。' } });
      const act = (token, action, body = {}) => apiOk('POST', `/tickets/${tk.id}/${action}`, { token, body }, [200]);
      await act(disp, 'accept', { note: '已受理' });
      await act(disp, 'assign', { department_id: dept.id, assignee_id: li.id });
      await act(cadre, 'sign');
      await act(cadre, 'progress', { note: '已安排现场勘查。', public: true });
      await act(cadre, 'resolve', { resolution: '增容方案已批复，下周施工。' });
      await act(ent, 'revisit', { rating: 'satisfied', comment: '很满意' });
      checkEqual((await apiOk('GET', `/tickets/${tk.id}`, { token: ent })).status, 'closed', 'the request closed');
    });
    await step('the message centre lists acceptance, assignment, progress and resolution', async () => {
      // The messages are written by the notifier's expander after each step commits, not by
      // the request that took the step: wait for them over the API, then open the page.
      const ent = await apiLogin(managerPhone, password);
      await eventually(async () => (await apiOk('GET', '/messages', { token: ent })).items.length >= 4, 'four messages over the API', 30000);
      await manager.goto('/#/messages');
      const items = manager.getByTestId('message-item');
      await eventually(async () => (await items.count()) >= 4, 'four messages on the page');
      const events = await items.evaluateAll((els) => els.map((e) => e.dataset.event));
      for (const e of ['ticket_accepted', 'ticket_assigned_enterprise', 'ticket_progress', 'ticket_resolved']) {
        check(events.includes(e), `a message for ${e} (have ${events.join(', ')})`);
      }
      const text = await manager.getByTestId('messages-list').innerText();
      check(!/ticket_|undefined/.test(text), `no raw keys in the messages (${text.slice(0, 200)})`);
      await shot(manager, 'accounts-messages-phone.png');
    });
  });

  const colleaguePhone = newPhone();
  await scenario('the manager invites a colleague, who accepts the texts first; then disables them', async () => {
    await step('the invitation is sent from 企业成员', async () => {
      await open(manager, '#/members');
      await visible(tid(manager, 'invite-phone'), 'the invitation form');
      await tid(manager, 'invite-name').fill('司马青');
      await tid(manager, 'invite-phone').fill(colleaguePhone);
      await tid(manager, 'invite-submit').click();
      await eventually(async () => (await tid(manager, 'member-row').count()) === 2, 'two members');
      await textMatches(tid(manager, 'member-manager'), /管理员/, 'the manager marked');
      await shot(manager, 'accounts-members-phone.png');
    });
    const ctx = await newMonitoredContext(browser, 'colleague@phone', PHONE);
    contexts.push(ctx);
    const colleague = await ctx.newPage();
    watchPages(colleague);
    await step('the colleague signs in by code and is asked to accept the texts', async () => {
      await byCode(colleague, colleaguePhone);
      await eventually(async () => hashOf(colleague) === '#/consent', `the consent page (at ${colleague.url()})`);
      await textMatches(tid(colleague, 'legal-terms'), /用户协议/, 'the agreement shown');
      await shot(colleague, 'accounts-consent-phone.png');
      await colleague.goto('/#/e/tickets');
      await eventually(async () => hashOf(colleague) === '#/consent', 'every page leads back to consent');
      await tid(colleague, 'consent-check').check();
      await tid(colleague, 'consent-accept').click();
      await eventually(async () => hashOf(colleague).startsWith('#/e'), `the enterprise pages (at ${colleague.url()})`);
    });
    await step('the manager disables the colleague', async () => {
      await open(manager, '#/members');
      await (await visible(tid(manager, 'member-disable'), 'the disable button')).click();
      await (await visible(tid(manager, 'dialog-ok'), 'the confirmation')).click();
      await visible(tid(manager, 'member-disabled'), 'the colleague marked 已停用');
    });
  });

  await scenario('a third person asks to join the registered enterprise; the manager approves', async () => {
    const ctx = await newMonitoredContext(browser, 'joiner@desk', DESKTOP);
    contexts.push(ctx);
    const joiner = await ctx.newPage();
    watchPages(joiner);
    const joinerPhone = newPhone();
    await step('registering the same credit code offers to ask to join', () => ctx.allow([/409 \(Conflict\).*\/api\/v1\/auth\/register/], async () => {
      await joiner.goto('/#/register');
      await tid(joiner, 'reg-credit-code').fill(creditCode);
      await tid(joiner, 'reg-enterprise-name').fill(enterpriseName);
      await tid(joiner, 'reg-contact-name').fill('上官红');
      await tid(joiner, 'reg-phone').fill(joinerPhone);
      await tid(joiner, 'sms-send').click();
      await tid(joiner, 'reg-code').fill(await readSmsCode(joinerPhone));
      await tid(joiner, 'reg-password').fill('Shangguan-2026');
      await tid(joiner, 'reg-password2').fill('Shangguan-2026');
      await tid(joiner, 'reg-consent').check();
      await tid(joiner, 'reg-submit').click();
      await (await visible(tid(joiner, 'reg-join'), 'the offer to ask to join')).click();
      await textMatches(tid(joiner, 'reg-join-sent'), /已提交加入/, 'the request sent');
      await shot(joiner, 'accounts-join-sent-desktop.png');
    }));
    await step('the dispatcher\'s queue says a request to join is waiting, and lists it', async () => {
      const desk = await ctx.newPage();
      watchPages(desk);
      await signIn(desk, 'dispatcher', /^#\/d/);
      await textMatches(tid(desk, 'join-pending-note'), /有 \d+ 条企业加入申请待审核/, 'the note above the queue');
      await tid(desk, 'join-pending-note').click();
      await eventually(async () => hashOf(desk) === '#/join-requests', `the requests page (at ${desk.url()})`);
      await textMatches(desk.getByTestId('join-row').first(), /上官红/, 'the request listed');
      await shot(desk, 'accounts-join-requests-desktop.png');
      await desk.close();
    });
    await step('the manager approves it, and the person signs in with their password', async () => {
      await open(manager, '#/members');
      await (await visible(tid(manager, 'join-approve'), 'the request waiting')).click();
      await (await visible(tid(manager, 'dialog-ok'), 'the confirmation')).click();
      await eventually(async () => (await tid(manager, 'member-row').count()) === 3, 'three members');
      await apiLogin(joinerPhone, 'Shangguan-2026');
    });
  });

  await scenario('the manager changes their phone with a code sent to the new number', async () => {
    const fresh = newPhone();
    await step('the new number is verified and replaces the old one', async () => {
      await manager.goto('/#/phone');
      await tid(manager, 'phone-new').fill(fresh);
      await tid(manager, 'sms-send').click();
      await tid(manager, 'phone-code').fill(await readSmsCode(fresh));
      await tid(manager, 'phone-submit').click();
      await eventually(async () => hashOf(manager) === '#/e/me', `back at 我的 (at ${manager.url()})`);
      await textMatches(tid(manager, 'me-phone'), new RegExp(fresh), 'the new number on 我的');
      await apiLogin(fresh, password);
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
