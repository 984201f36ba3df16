// Routing suggestions (智能分拨, issue 18) in Debian's Chromium: the demo's history (the
// corpus's training part, tests/data/routing.tsv) teaches the suggestions; the dispatcher
//
//   - accepts a new request about power: the accept dialog shows the suggested category and
//     lead department as chips with their confidence, marked as suggestions;
//   - assigns it: the assign dialog pre-fills the confident department (已按建议预填), the
//     dispatcher keeps it, and the assignment is learned at once (learned_from grows);
//   - on a phone, a suggestion with a long department name wraps inside the dialog;
//   - a request that shares nothing with the history gets no suggestion, and says so.
//
//   BASE_URL=http://127.0.0.1:18083 DEMO_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/routing.mjs
//
// Needs a server with the demo data and its routing history (`qiyeshao serve --demo`);
// tests/api/e2e.rs starts one and runs this. Preconditions made over the API are named so
// (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP,
  check, checkEqual, eventually, visible, textMatches,
  scenario, step, watchPages, launch, shot,
  apiOk, apiLogin, startWatchdog, endRun, signedIn,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);
const LONG_NAME = '国网湖南省电力有限公司长沙供电分公司望城区供电服务中心（营商环境办电服务专班）';

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/routing-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const admin = await apiLogin('admin', DEMO_PASSWORD);
  const dispatcher = await apiLogin('dispatcher', DEMO_PASSWORD);
  const enterprise = await apiLogin('enterprise', DEMO_PASSWORD);
  const categories = await apiOk('GET', '/categories', { token: dispatcher });
  const list = categories.items || categories;
  const power = list.find((c) => c.name === '用电报装');
  const other = list.find((c) => c.name === '其他');
  check(power && other, 'the demo categories 用电报装 and 其他');
  const file = (category, title, description) => apiOk('POST', '/tickets', { token: enterprise,
    body: { kind: 'problem', category_id: category.id, title, description } });

  let ticket;
  let before;
  await scenario('the accept and assign dialogs suggest, pre-fill and learn', async () => {
    await step('overApi: the enterprise files a request about its power connection', async () => {
      ticket = await file(other, '二期厂房专变报装一个多月没人来勘查', '我司二期厂房已完工，申请1250kVA专变报装一个多月了，供电所一直没来现场勘查，设备没法调试，急！');
      before = await apiOk('GET', `/tickets/${ticket.id}/routing`, { token: dispatcher });
      check(before.learned_from > 1000, `the demo history is learned (${before.learned_from})`);
      checkEqual(before.categories[0].id, power.id, 'the first suggested category');
      check(before.departments[0].prefill, `the first department is confident (${JSON.stringify(before.departments[0])})`);
    });
    const page = await signedIn(browser, contexts, 'dispatcher', /^#\/d/, DESKTOP);
    watchPages(page);
    await step('the accept dialog shows the suggestions as chips with their confidence', async () => {
      await page.goto(`/#/d/tickets/${ticket.id}`);
      await tid(page, 'action-accept').click();
      const dialog = page.locator('[data-testid="form-dialog"][data-action="accept"]');
      await visible(dialog, 'the accept dialog');
      await visible(tid(dialog, 'routing-hint'), 'the routing suggestions');
      await textMatches(tid(dialog, 'routing-hint'), /智能分拨建议[\s\S]*仅供参考/, 'marked as suggestions');
      const first = tid(dialog, 'routing-category').first();
      checkEqual(await first.getAttribute('data-id'), power.id, 'the first category chip');
      await textMatches(first, /用电报装\s*[<>]?\d+%/, 'the chip with its confidence');
      await visible(tid(dialog, 'routing-differs'), 'the note that the enterprise chose another category');
      await textMatches(tid(dialog, 'routing-department').first(), /国网望城供电公司\s*[<>]?\d+%/, 'the department chip');
      await shot(page, 'routing-accept-desktop.png');
      await tid(page, 'dialog-ok').click();
      await textMatches(tid(page, 'ticket-status'), /已受理/, 'after accepting');
    });
    await step('the assign dialog pre-fills the confident department; assigning teaches it', async () => {
      await tid(page, 'action-assign').click();
      const dialog = page.locator('[data-testid="form-dialog"][data-action="assign"]');
      await visible(dialog, 'the assign dialog');
      await visible(tid(dialog, 'routing-hint'), 'the routing suggestions');
      checkEqual(await tid(dialog, 'assign-department').inputValue(), before.departments[0].id, 'the pre-filled department');
      await visible(tid(dialog, 'assign-prefilled'), 'the mark 已按建议预填');
      await textMatches(tid(dialog, 'assign-prefilled'), /已按建议预填/, 'the mark');
      // The dispatcher decides: picking another department takes the mark away, a chip brings it back.
      const others = await tid(dialog, 'assign-department').locator('option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
      const elsewhere = others.find((v) => v !== before.departments[0].id);
      await tid(dialog, 'assign-department').selectOption(elsewhere);
      await eventually(async () => !(await tid(dialog, 'assign-prefilled').isVisible()), 'the mark gone after another pick');
      await tid(dialog, 'routing-department').first().click();
      checkEqual(await tid(dialog, 'assign-department').inputValue(), before.departments[0].id, 'the chip picks its department');
      await shot(page, 'routing-assign-desktop.png');
      await tid(page, 'assign-submit').click();
      await textMatches(tid(page, 'ticket-status'), /已交办/, 'after assigning');
      const after = await apiOk('GET', `/tickets/${ticket.id}/routing`, { token: dispatcher });
      checkEqual(after.learned_from, before.learned_from + 1, 'the assignment is learned at once');
    });
  });

  await scenario('on a phone: a long department name, and a request with no suggestion', async () => {
    let long;
    let none;
    await step('overApi: the power company gets a long name; two more requests are filed', async () => {
      await apiOk('PATCH', `/departments/${before.departments[0].id}`, { token: admin, body: { name: LONG_NAME } });
      long = await file(power, '新装用电', '厂房新装用电报装，变压器容量800千伏安，什么时候能送电');
      none = await file(other, '🙏🙏🙏', '！！！');
      const r = await apiOk('GET', `/tickets/${none.id}/routing`, { token: dispatcher });
      checkEqual(r.categories.length + r.departments.length, 0, 'no suggestion for a request that shares nothing');
    });
    const page = await signedIn(browser, contexts, 'dispatcher', /^#\/d/, PHONE);
    watchPages(page);
    await step('the long name wraps inside the dialog', async () => {
      await page.goto(`/#/d/tickets/${long.id}`);
      await tid(page, 'action-accept').click();
      const dialog = page.locator('[data-testid="form-dialog"][data-action="accept"]');
      await visible(tid(dialog, 'routing-hint'), 'the routing suggestions');
      const chip = tid(dialog, 'routing-department').first();
      await textMatches(chip, /营商环境办电服务专班/, 'the long name in full');
      const [box, hint] = [await chip.boundingBox(), await tid(dialog, 'routing-hint').boundingBox()];
      check(box.x + box.width <= hint.x + hint.width + 1, `the chip stays inside the box (${JSON.stringify(box)} in ${JSON.stringify(hint)})`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 0, `no sideways scrolling (${overflow}px)`);
      await shot(page, 'routing-accept-long-phone.png');
      await tid(page, 'dialog-cancel').click();
    });
    await step('a request with nothing like it in the history says there is no suggestion', async () => {
      await page.goto(`/#/d/tickets/${none.id}`);
      // The page of this request, not the one before it (whose buttons are there until it is drawn).
      await visible(tid(page, 'ticket-number').filter({ hasText: none.number }), 'the request\'s own page');
      await tid(page, 'action-assign').click();
      const dialog = page.locator('[data-testid="form-dialog"][data-action="assign"]');
      await visible(tid(dialog, 'routing-none'), 'the note 暂无建议');
      await textMatches(tid(dialog, 'routing-none'), /暂无建议/, 'the note');
      check(!(await tid(dialog, 'assign-prefilled').isVisible()), 'nothing marked as pre-filled');
      await shot(page, 'routing-assign-none-phone.png');
      await tid(page, 'dialog-cancel').click();
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
