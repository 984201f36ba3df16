// The weekly bulletin (每周通报, issue 19) through the pages, in Debian's Chromium:
//
//   - the administrator finds last week's draft under 每周通报 (the service drafts it; made over
//     the API if its schedule has not come yet), reads it laid out as a government bulletin,
//     writes the foreword, picks a typical case by its number (an unknown number is refused
//     where it was typed, and nothing is saved), saves, recounts, and publishes it with the
//     year's next number; the page then shows the issue number and no editor; its seventh
//     section (七、千名干部进千企) when the draft has the liaison program's week;
//   - the Word and Excel buttons give signed downloads that open as .docx and .xlsx;
//   - a cadre on a phone finds it from 我的 → 每周通报 and reads it at 390 px (nothing wider
//     than the screen but the tables, which scroll inside the page);
//   - printed (Chromium's print to PDF, A4), only the document is on the pages.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/bulletin.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Preconditions made over the API are named so (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP, BASE_URL,
  check, checkEqual, eventually, visible,
  scenario, step, watchPages, launch, shot,
  api, apiOk, apiLogin, startWatchdog, endRun, signedIn,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);

const FOREWORD = '现将上周全区企业诉求办理情况通报如下。请各单位对照通报，抓紧办理超期诉求，举一反三解决共性问题。';
const NOTE = '供电公司接件当日勘查，三个工作日完成接电，企业评价满意。';

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/bulletin-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const admin = await apiLogin('admin', DEMO_PASSWORD);

  const draft = await step('overApi: last week\'s bulletin is drafted (by the service\'s schedule, or now)', async () => {
    const made = await api('POST', '/bulletins', { token: admin, body: {} });
    check([201, 409].includes(made.status), `drafted, or there already (${made.status} ${made.text.slice(0, 200)})`);
    const list = await apiOk('GET', '/bulletins?status=draft', { token: admin });
    check(list.items.length >= 1, 'a draft');
    return list.items[0];
  });
  const caseNumber = await step('overApi: a request to pick as the typical case', async () => {
    const tickets = await apiOk('GET', '/tickets?limit=5', { token: admin });
    check(tickets.items.length > 0, 'the demo has requests');
    return tickets.items[0].number;
  });

  const desk = await signedIn(browser, contexts, 'admin', /^#\/a/, DESKTOP);
  const deskCtx = contexts[contexts.length - 1];
  watchPages(desk);

  await scenario('the administrator reviews the draft and publishes it', async () => {
    await step('每周通报 in the menu lists the draft', async () => {
      await tid(desk, 'nav-bulletins').first().click();
      await eventually(async () => new URL(desk.url()).hash === '#/bulletins', 'the list');
      const item = desk.locator(`[data-testid="bulletin-item"][data-id="${draft.id}"]`);
      await visible(item, 'the draft in the list');
      checkEqual(await item.getAttribute('data-status'), 'draft', 'a draft');
      await shot(desk, 'bulletin-list-desk.png');
      await item.click();
      await visible(tid(desk, 'bulletin-doc'), 'the document');
      await visible(tid(desk, 'bulletin-editor'), 'the editor');
      await visible(tid(desk, 'bulletin-draft-banner'), 'it says it is a draft');
      checkEqual((await tid(desk, 'bulletin-issue').innerText()).trim(), '（草稿）', 'no number yet');
      // 七、千名干部进千企 when the draft has the liaison program's week (drafted since it came).
      const { liaison } = (await apiOk('GET', `/bulletins/${draft.id}`, { token: admin })).figures;
      checkEqual(await tid(desk, 'bulletin-section').count(), liaison ? 7 : 6, 'the sections');
      if (liaison) {
        const seventh = await tid(desk, 'bulletin-section').last().innerText();
        check(seventh.includes('七、千名干部进千企') && seventh.includes('联点干部'), 'the liaison section');
        if (liaison.departments.length) await visible(tid(desk, 'bulletin-liaison'), 'its table');
      }
    });
    await step('an unknown request number is refused and nothing is saved', () => deskCtx.allow([/status of 422.*\/api\/v1\/bulletins\//], async () => {
      await tid(desk, 'bulletin-foreword-input').fill(FOREWORD);
      await tid(desk, 'bulletin-case-add').click();
      await tid(desk, 'bulletin-case-ticket').last().fill('QY-没有这件');
      await tid(desk, 'bulletin-save').click();
      await eventually(async () => (await tid(desk, 'bulletin-editor-error').innerText()).trim() !== '', 'the error shown');
      const still = await apiOk('GET', `/bulletins/${draft.id}`, { token: admin });
      check(!still.foreword.includes('现将上周'), 'the foreword not saved');
    }));
    await step('the foreword and a typical case are saved and shown in the document', async () => {
      await tid(desk, 'bulletin-case-ticket').last().fill(caseNumber);
      await tid(desk, 'bulletin-case-note').last().fill(NOTE);
      await tid(desk, 'bulletin-save').click();
      await eventually(async () => (await tid(desk, 'bulletin-foreword').count()) === 1, 'the foreword in the document');
      check((await tid(desk, 'bulletin-foreword').innerText()).includes('现将上周'), 'the foreword');
      await eventually(async () => (await tid(desk, 'bulletin-case').count()) === 1, 'the case in the document');
      const text = await tid(desk, 'bulletin-case').innerText();
      check(text.includes(caseNumber) && text.includes(NOTE), `the case with its number and note (${text})`);
      await tid(desk, 'bulletin-recount').click();
      await eventually(async () => (await desk.locator('.toast').allInnerTexts()).some((x) => x.includes('重新统计')), 'recounted');
      await shot(desk, 'bulletin-draft-desk.png');
    });
    await step('published with the year\'s next number; the editor is gone', async () => {
      await tid(desk, 'bulletin-publish').click();
      await visible(desk.locator('[data-testid="form-dialog"][data-action="bulletin-publish-submit"]'), 'the publish dialog');
      await tid(desk, 'dialog-ok').click();
      await eventually(async () => /〔\d{4}〕第\d+期/.test(await tid(desk, 'bulletin-issue').innerText()), 'the issue number');
      await eventually(async () => (await tid(desk, 'bulletin-editor').count()) === 0, 'no editor');
      check((await tid(desk, 'bulletin-draft-banner').count()) === 0, 'not a draft');
      const published = await apiOk('GET', `/bulletins/${draft.id}`, { token: admin });
      checkEqual(published.status, 'published', 'published');
      check(published.foreword === FOREWORD && published.cases.length === 1, 'as reviewed');
      await shot(desk, 'bulletin-published-desk.png');
    });
    await step('Word and Excel download as .docx and .xlsx', async () => {
      for (const [button, ext, type] of [['bulletin-word', '.docx', 'wordprocessingml'], ['bulletin-excel', '.xlsx', 'spreadsheetml']]) {
        const [dl] = await Promise.all([desk.waitForEvent('download'), tid(desk, button).click()]);
        check(dl.suggestedFilename().endsWith(ext), `${dl.suggestedFilename()} is ${ext}`);
        const path = await dl.path();
        const fs = await import('node:fs');
        const bytes = fs.readFileSync(path);
        check(bytes[0] === 0x50 && bytes[1] === 0x4b, `${ext} is a zip package`);
        check(bytes.includes(Buffer.from(ext === '.docx' ? 'word/document.xml' : 'xl/workbook.xml')), `${ext} has its main part`);
        void type;
      }
    });
    await step('printed to PDF on A4: the document only', async () => {
      await desk.emulateMedia({ media: 'print' });
      check(!(await tid(desk, 'bulletin-print').isVisible()), 'no buttons in print');
      check(!(await desk.locator('.topbar').isVisible()), 'no header in print');
      check(await tid(desk, 'bulletin-doc').isVisible(), 'the document');
      const pdf = await desk.pdf({ format: 'A4', preferCSSPageSize: true });
      check(pdf.length > 10_000, `a PDF (${pdf.length} bytes)`);
      await desk.emulateMedia({ media: 'screen' });
    });
  });

  await scenario('a cadre reads the published bulletin on a phone', async () => {
    const phone = await signedIn(browser, contexts, 'cadre.power', /^#\/c/, PHONE);
    const phoneCtx = contexts[contexts.length - 1];
    watchPages(phone);
    await step('我的 → 每周通报 → the bulletin', async () => {
      await tid(phone, 'tabbar-me').click();
      await tid(phone, 'me-bulletins').click();
      const item = phone.locator(`[data-testid="bulletin-item"][data-id="${draft.id}"]`);
      await visible(item, 'the published bulletin');
      await shot(phone, 'bulletin-list-phone.png');
      await item.click();
      await visible(tid(phone, 'bulletin-doc'), 'the document');
      check((await tid(phone, 'bulletin-editor').count()) === 0, 'no editor for a cadre');
      const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 390, `nothing wider than the screen (${wide} px)`);
      await shot(phone, 'bulletin-phone.png');
      await tid(phone, 'bulletin-doc').locator('[data-testid="bulletin-departments-year"]').scrollIntoViewIfNeeded();
      await shot(phone, 'bulletin-phone-tables.png');
    });
    await step('a draft is not there for a cadre', () => phoneCtx.allow([/status of 404.*\/api\/v1\/bulletins\//], async () => {
      const other = await api('POST', '/bulletins', { token: admin, body: { from: '2026-01-05' } });
      check([201, 409].includes(other.status), `another week drafted (${other.status})`);
      const cadre = await apiLogin('cadre.power', DEMO_PASSWORD);
      const theirs = await apiOk('GET', '/bulletins', { token: cadre });
      check(theirs.items.every((b) => b.status === 'published'), 'only published ones');
      if (other.status === 201) {
        await phone.goto(`${BASE_URL}/#/bulletins/${other.json.id}`);
        await visible(phone.locator('.state-error'), 'not found');
      }
    }));
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
