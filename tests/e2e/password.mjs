// Passwords people manage themselves (issue 17), in Debian's Chromium:
//
//   - a cadre whose password an administrator reset signs in with it and is taken to choose
//     their own before anything else (every other page leads back there); a wrong temporary
//     password and a weak new one are refused in Chinese; the chosen one signs in;
//   - an enterprise user changes their password from 我的 on a phone;
//   - an enterprise user who forgot it sets a new one with a code sent by SMS;
//   - a locked account is told in Chinese when to try again, and to sign in by SMS code.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/password.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Preconditions made over the API are named so (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP,
  api, check, checkEqual, eventually, visible, textMatches,
  scenario, step, watchPages, summary, launch, newMonitoredContext, shot,
  apiOk, apiLogin, startWatchdog, readSmsCode,
  endRun,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);
const hashOf = (page) => new URL(page.url()).hash;

async function signIn(page, username, password) {
  await page.goto('/#/login');
  await visible(tid(page, 'login-tab-password'), 'the login page');
  await tid(page, 'login-tab-password').click();
  await tid(page, 'login-username').fill(username);
  await tid(page, 'login-password').fill(password);
  await tid(page, 'login-submit').click();
}

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/password-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const admin = await apiLogin('admin', DEMO_PASSWORD);

  await scenario('a password the administrator reset is changed first thing', async () => {
    const temporary = 'Linshi-2026';
    const chosen = 'Ziji-mima-88';
    await step('overApi: the administrator resets the cadre 王芳\'s password', async () => {
      const users = await apiOk('GET', '/users?role=cadre&limit=100', { token: admin });
      const cadre = users.items.find((u) => u.username === 'cadre.hr');
      check(cadre, 'the demo cadre cadre.hr');
      await apiOk('PATCH', `/users/${cadre.id}`, { token: admin, body: { password: temporary } });
    });
    const ctx = await newMonitoredContext(browser, 'cadre.hr@desk', DESKTOP);
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchPages(page);
    await step('signing in with it leads to the password page, and every other page back to it', async () => {
      await signIn(page, 'cadre.hr', temporary);
      await eventually(async () => hashOf(page) === '#/password', `the password page (at ${page.url()})`);
      await visible(tid(page, 'password-forced'), 'the note that the administrator set the password');
      await page.goto('/#/c');
      await eventually(async () => hashOf(page) === '#/password', `back at the password page (at ${page.url()})`);
      await visible(tid(page, 'password-current'), 'the form');
      await shot(page, 'password-forced-desktop.png');
    });
    await step('a wrong temporary password and a weak new one are refused, in Chinese', () => ctx.allow([/422 \(Unprocessable Entity\).*\/api\/v1\/me\/password/], async () => {
      await tid(page, 'password-current').fill('Not-the-one-1');
      await tid(page, 'password-new').fill(chosen);
      await tid(page, 'password-confirm').fill(chosen);
      await tid(page, 'password-submit').click();
      await textMatches(page.locator('.field.invalid .field-error'), /当前密码不正确/, 'the wrong current password named');
      await tid(page, 'password-current').fill(temporary);
      await tid(page, 'password-new').fill('weakpass');
      await tid(page, 'password-confirm').fill('weakpass');
      await tid(page, 'password-submit').click();
      await textMatches(page.locator('.field.invalid .field-error'), /三种/, 'the rule of a strong password');
      checkEqual(hashOf(page), '#/password', 'still on the password page');
    }));
    await step('the chosen password is taken and the cadre goes on to the workbench', async () => {
      await tid(page, 'password-new').fill(chosen);
      await tid(page, 'password-confirm').fill(chosen);
      await tid(page, 'password-submit').click();
      await eventually(async () => /^#\/c/.test(hashOf(page)), `the cadre's workbench (at ${page.url()})`);
      const me = await page.evaluate(() => JSON.parse(localStorage.getItem('qys.session')).user);
      check(me.must_change_password === false, 'the session says the password is the cadre\'s own');
    });
    await step('overApi: the temporary password no longer signs in; the chosen one does', async () => {
      const old = await api('POST', '/auth/login', { body: { username: 'cadre.hr', password: temporary } });
      checkEqual(old.status, 401, 'signing in with the temporary password');
      await apiLogin('cadre.hr', chosen);
    });
  });

  await scenario('an enterprise user changes their password from 我的', async () => {
    const chosen = 'Lvyuan-2027';
    const ctx = await newMonitoredContext(browser, 'enterprise@phone', PHONE);
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchPages(page);
    await step('我的 → 修改密码', async () => {
      await signIn(page, 'enterprise', DEMO_PASSWORD);
      await eventually(async () => /^#\/e/.test(hashOf(page)), `the enterprise home (at ${page.url()})`);
      await page.goto('/#/e/me');
      await (await visible(tid(page, 'me-password'), 'the 修改密码 row')).click();
      await eventually(async () => hashOf(page) === '#/password', 'the password page');
      checkEqual(await tid(page, 'password-forced').count(), 0, 'notes about a forced change');
      await shot(page, 'password-change-phone.png');
    });
    await step('the new password is taken, and the page goes back to 我的', async () => {
      await tid(page, 'password-current').fill(DEMO_PASSWORD);
      await tid(page, 'password-new').fill(chosen);
      await tid(page, 'password-confirm').fill(chosen + 'x');
      await tid(page, 'password-submit').click();
      await textMatches(page.locator('.field.invalid .field-error'), /不一致/, 'the confirmation that differs');
      await tid(page, 'password-confirm').fill(chosen);
      await tid(page, 'password-submit').click();
      await eventually(async () => hashOf(page) === '#/e/me', `back at 我的 (at ${page.url()})`);
      await apiLogin('enterprise', chosen);
    });
  });

  await scenario('an enterprise user who forgot the password sets a new one by SMS code', async () => {
    const chosen = 'Wangji-2028';
    const ctx = await newMonitoredContext(browser, 'forgot@phone', PHONE);
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchPages(page);
    await step('登录 → 密码登录 → 忘记密码？', async () => {
      await page.goto('/#/login');
      await tid(page, 'login-tab-password').click();
      await (await visible(tid(page, 'link-forgot'), 'the 忘记密码 link')).click();
      await eventually(async () => hashOf(page) === '#/forgot', 'the forgot-password page');
    });
    await step('the code from the phone and a new password sign the user in', async () => {
      await tid(page, 'forgot-phone').fill('13800000006'); // 陈静, the demo enterprise user
      await tid(page, 'sms-send').click();
      const code = await readSmsCode('13800000006');
      await tid(page, 'forgot-code').fill(code);
      await tid(page, 'forgot-new').fill(chosen);
      await tid(page, 'forgot-confirm').fill(chosen);
      await shot(page, 'password-forgot-phone.png');
      await tid(page, 'forgot-submit').click();
      await eventually(async () => /^#\/e/.test(hashOf(page)), `the enterprise home (at ${page.url()})`);
      await apiLogin('enterprise', chosen);
    });
  });

  await scenario('a locked account is told, in Chinese, when to try again and how else to sign in', async () => {
    const ctx = await newMonitoredContext(browser, 'locked@phone', PHONE);
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchPages(page);
    await step('five wrong passwords, then the sixth try', () => ctx.allow([/status of 401/, /status of 429/], async () => {
      await page.goto('/#/login');
      await tid(page, 'login-tab-password').click();
      await tid(page, 'login-username').fill('cadre.power');
      for (let i = 0; i < 6; i += 1) {
        await tid(page, 'login-password').fill(`Wrong-pass-${i}`);
        await tid(page, 'login-submit').click();
        await textMatches(tid(page, 'login-error'), i < 5 ? /./ : /锁定/, `the answer to try ${i + 1}`);
      }
      const said = await tid(page, 'login-error').innerText();
      check(/15 分钟后再试/.test(said) && /短信登录/.test(said) && !/[A-Za-z]{4,}/.test(said),
        `the lock says when, in Chinese, and offers the SMS sign-in (${said})`);
      await shot(page, 'password-locked-phone.png');
    }));
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
