// Photos and documents on the timeline, and downloads by signed link (issue 17), in Debian's
// Chromium:
//
//   - the cadre attaches a large photo to a progress note (the page makes it smaller before
//     the upload: a JPEG whose long side is 1,920 px) and a PDF to the resolution;
//   - the enterprise sees the photo and the document chip on those timeline entries, and not
//     the file of an internal note; its chip saves the PDF through /api/v1/downloads/<token>;
//   - the administrator's ledger download goes through a signed link too, and is an .xlsx;
//   - screenshots of a timeline entry with a photo and a document chip at 390 and 1366 px.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/files.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Preconditions made over the API are named so (`overApi`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  BASE_URL, DEMO_PASSWORD, PHONE, SCREENSHOTS_DIR,
  check, checkEqual, eventually, visible,
  scenario, step, watchPages, summary, launch, newMonitoredContext, shot, png,
  apiOk, apiLogin, startWatchdog,
  endRun,
  signIn, signedIn,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);
const WIDE = { viewport: { width: 1366, height: 900 } };
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

/** overApi: a request of the demo enterprise, assigned to 李娜 (cadre.power) and signed for. */
async function handledTicket(title) {
  const [ent, disp, cadre] = await Promise.all([
    apiLogin('enterprise', DEMO_PASSWORD), apiLogin('dispatcher', DEMO_PASSWORD), apiLogin('cadre.power', DEMO_PASSWORD),
  ]);
  const cats = await apiOk('GET', '/categories', { token: ent });
  const cat = cats.items.find((c) => c.name === '用电报装');
  const depts = await apiOk('GET', '/departments', { token: disp });
  const dept = depts.items.find((d) => d.name === '国网望城供电公司');
  const users = await apiOk('GET', `/users?role=cadre&department_id=${dept.id}`, { token: disp });
  const li = users.items.find((u) => u.username === 'cadre.power');
  check(cat && dept && li, 'the demo category, department and cadre');
  const tk = await apiOk('POST', '/tickets', { token: ent, body: { kind: 'problem', category_id: cat.id, title, description: `e2e 前置数据：${title}` } });
  const act = (token, action, body = {}) => apiOk('POST', `/tickets/${tk.id}/${action}`, { token, body }, [200]);
  await act(disp, 'assign', { department_id: dept.id, assignee_id: li.id });
  await act(cadre, 'sign');
  return { id: tk.id, tokens: { ent, disp, cadre } };
}

/** overApi: uploads bytes as `token`'s user; the attachment. */
async function uploadOverApi(token, name, bytes, type) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${BASE_URL}/api/v1/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  check(res.status === 201, `the upload of ${name}: ${res.status}`);
  return res.json();
}

/** The width and height of a JPEG, from its SOF marker. */
function jpegSize(buf) {
  let i = 2;
  while (i + 9 < buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1];
    const len = buf.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc3) return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return null;
}

/** Saves a picture of one element when SCREENSHOTS_DIR is set. */
async function shotOf(locator, name) {
  if (!SCREENSHOTS_DIR) return;
  await locator.screenshot({ path: join(SCREENSHOTS_DIR, name) });
}

/** Clicks what starts a download; the download, which must have come from a signed link. */
async function downloadVia(page, trigger, what) {
  const [dl] = await Promise.all([page.waitForEvent('download'), trigger()]);
  const url = new URL(dl.url());
  check(url.pathname.startsWith('/api/v1/downloads/'), `${what}: saved from ${url.pathname}, not a signed link`);
  check(!/^blob:/.test(dl.url()), `${what}: not a blob: URL`);
  const path = await dl.path();
  check(path, `${what}: the file was saved`);
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/files-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const title = `现场照片与办结材料 ${Date.now() % 100000}`;
  const ticket = await handledTicket(title);

  await scenario('the cadre attaches a photo to a progress note and a PDF to the resolution', async () => {
    const page = await signedIn(browser, contexts, 'cadre.power', /^#\/c/);
    watchPages(page);
    await page.goto(`/#/c/tickets/${ticket.id}`);
    await visible(tid(page, 'ticket-detail'), 'the cadre ticket page');
    await step('a 2,400 px photo goes up as a 1,920 px JPEG with the progress note', async () => {
      await tid(page, 'action-progress').click();
      await visible(page.locator('[data-testid="form-dialog"][data-action="progress"]'), 'the progress dialog');
      await tid(page, 'progress-note').fill('已到现场查看线路，照片见附件。');
      const photo = png(2400, 1800, (x, y) => [(x >> 4) & 255, (y >> 4) & 255, 140]);
      await tid(page, 'progress-uploader-input').setInputFiles({ name: '现场照片.png', mimeType: 'image/png', buffer: photo });
      await visible(tid(page, 'progress-uploader-item').and(page.locator('[data-state="done"]')), 'the uploaded photo');
      await tid(page, 'dialog-ok').click();
      await visible(page.locator('[data-testid="timeline-event"][data-action="progress"] [data-testid="attachment-image"]'), 'the photo on the progress entry');
      const detail = await apiOk('GET', `/tickets/${ticket.id}`, { token: ticket.tokens.cadre });
      const progress = detail.events.filter((e) => e.action === 'progress').pop();
      const att = detail.attachments.find((a) => a.event_seq === progress.seq);
      check(att, 'the photo is linked to the progress entry');
      checkEqual(att.content_type, 'image/jpeg', 'the uploaded photo type');
      checkEqual(att.file_name, '现场照片.jpg', 'the uploaded photo name');
      const res = await fetch(`${BASE_URL}/api/v1/attachments/${att.id}`, { headers: { Authorization: `Bearer ${ticket.tokens.cadre}` } });
      const size = jpegSize(Buffer.from(await res.arrayBuffer()));
      check(size && size.width === 1920 && size.height === 1440, `the photo was made 1920 × 1440 (${JSON.stringify(size)})`);
    });
    await step('overApi: an internal progress note with a file the enterprise must not see', async () => {
      const memo = await uploadOverApi(ticket.tokens.cadre, '内部纪要.pdf', PDF, 'application/pdf');
      await apiOk('POST', `/tickets/${ticket.id}/progress`, { token: ticket.tokens.cadre, body: { note: '与供电公司内部协调', public: false, attachment_ids: [memo.id] } }, [200]);
      ticket.internalFile = memo.id;
    });
    await step('the resolution carries a PDF, shown as a document chip', async () => {
      await page.reload();
      await visible(tid(page, 'action-resolve'), 'the resolve button');
      await tid(page, 'action-resolve').click();
      await visible(page.locator('[data-testid="form-dialog"][data-action="resolve"]'), 'the resolve dialog');
      await tid(page, 'resolve-text').fill('已完成线路改造，验收报告见附件。');
      await tid(page, 'resolve-uploader-input').setInputFiles({ name: '验收报告.pdf', mimeType: 'application/pdf', buffer: PDF });
      await visible(tid(page, 'resolve-uploader-item').and(page.locator('[data-state="done"]')), 'the uploaded PDF');
      await tid(page, 'dialog-ok').click();
      const chip = await visible(page.locator('[data-testid="timeline-event"][data-action="resolve"] [data-testid="attachment-file"][data-kind="pdf"]'), 'the PDF chip on the resolution');
      const text = await chip.innerText();
      check(text.includes('验收报告.pdf') && text.includes('PDF'), `the chip names the file and its kind (${text})`);
      await shot(page, 'files-cadre-phone.png');
    });
  });

  await scenario('the dispatcher\'s desk shows every entry\'s files, the internal note\'s too', async () => {
    const desk = await signedIn(browser, contexts, 'dispatcher', /^#\/d/, WIDE);
    watchPages(desk);
    await step('the photo and both document chips at 1366 px', async () => {
      await desk.goto(`/#/d/tickets/${ticket.id}`);
      await visible(desk.locator('[data-testid="timeline-event"][data-action="resolve"] [data-testid="attachment-file"][data-kind="pdf"]'), 'the resolution\'s PDF');
      await visible(desk.locator('[data-testid="timeline-event"][data-action="progress"] [data-testid="attachment-image"]').first(), 'the progress note\'s photo');
      checkEqual(await desk.locator('[data-testid="attachment-file"]').count(), 2, 'document chips the dispatcher sees (the internal note\'s too)');
      const text = await desk.locator('[data-testid="timeline"]').innerText();
      check(text.includes('内部纪要.pdf') && text.includes('验收报告.pdf'), 'both documents named');
      check(!/[a-z]+_[a-z]+|\b(progress|resolve|attachment)\b/.test(text), `no raw keys or English on the timeline (${text.slice(0, 300)})`);
      await shotOf(desk.locator('[data-testid="timeline"]'), 'files-desk-timeline-1366.png');
    });
  });

  await scenario('the enterprise sees the files of the public entries only, and saves the PDF by a signed link', async () => {
    for (const [options, label] of [[PHONE, '390'], [WIDE, '1366']]) {
      const page = await signedIn(browser, contexts, 'enterprise', /^#\/e/, options);
      watchPages(page);
      await step(`the photo and the document chip on the timeline (${label} px)`, async () => {
        await page.goto(`/#/e/tickets/${ticket.id}`);
        const progress = page.locator('[data-testid="timeline-event"][data-action="progress"]');
        await visible(progress.locator('[data-testid="attachment-image"]').first(), 'the photo on the public progress entry');
        await eventually(async () => (await progress.locator('img').first().evaluate((img) => img.complete && img.naturalWidth > 0)), 'the photo loaded');
        const resolve = page.locator('[data-testid="timeline-event"][data-action="resolve"]');
        await visible(resolve.locator('[data-testid="attachment-file"][data-kind="pdf"]'), 'the PDF chip on the resolution');
        checkEqual(await page.locator('[data-testid="attachment-file"]').count(), 1, 'document chips the enterprise sees (not the internal note\'s)');
        const text = await page.locator('[data-testid="timeline"]').innerText();
        check(!text.includes('与供电公司内部协调'), 'the internal note is not shown');
        check(!/[a-z]+_[a-z]+|\b(progress|resolve|attachment)\b/.test(text), `no raw keys or English on the timeline (${text.slice(0, 300)})`);
        const entries = page.locator('[data-testid="timeline-event"][data-action="progress"], [data-testid="timeline-event"][data-action="resolve"]');
        await page.locator('[data-testid="timeline"]').scrollIntoViewIfNeeded();
        await shot(page, `files-enterprise-${label}.png`);
        await shotOf(page.locator('[data-testid="timeline"]'), `files-timeline-${label}.png`);
        check(await entries.count() >= 2, 'the two entries');
      });
    }
    const page = await signedIn(browser, contexts, 'enterprise', /^#\/e/);
    watchPages(page);
    await step('the PDF chip saves the file through /api/v1/downloads/<token>', async () => {
      await page.goto(`/#/e/tickets/${ticket.id}`);
      const chip = await visible(page.locator('[data-testid="attachment-file"][data-kind="pdf"]'), 'the PDF chip');
      const saved = await downloadVia(page, () => chip.click(), 'the PDF');
      check(saved.bytes.subarray(0, 5).toString() === '%PDF-', 'the saved file is the PDF');
      checkEqual(saved.name, '验收报告.pdf', 'the saved name');
    });
    await step('overApi: the internal note\'s file is refused to the enterprise, by link too', async () => {
      const direct = await fetch(`${BASE_URL}/api/v1/attachments/${ticket.internalFile}`, { headers: { Authorization: `Bearer ${ticket.tokens.ent}` } });
      checkEqual(direct.status, 404, 'the internal file, fetched by the enterprise');
      const link = await apiOk('POST', '/downloads', { token: ticket.tokens.ent, body: { path: `/api/v1/attachments/${ticket.internalFile}` } }, [200]);
      const opened = await fetch(`${BASE_URL}${link.url}`);
      checkEqual(opened.status, 404, 'the internal file, opened by a link of the enterprise');
    });
  });

  await scenario('the ledger downloads through a signed link, as an .xlsx', async () => {
    const admin = await signedIn(browser, contexts, 'admin', /^#\/a/, WIDE);
    watchPages(admin);
    await step('台账 (Excel) on the dashboard', async () => {
      const button = await visible(tid(admin, 'download-ledger'), 'the ledger button');
      const saved = await downloadVia(admin, () => button.click(), 'the ledger');
      check(saved.bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])), 'the ledger is a ZIP (an .xlsx)');
      check(saved.bytes.includes(Buffer.from('xl/workbook.xml')), 'the ledger is a workbook');
      check(/^台账-.*\.xlsx$/.test(saved.name), `the saved name (${saved.name})`);
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
