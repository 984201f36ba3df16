// Systemic issues (症结, issue 18) through the pages, in Debian's Chromium:
//
//   - the dispatcher's list with none, then the form opens one (a long title) and lands on its page;
//   - on its page the suggested requests (by the words of its title and analysis) are linked
//     with a click, one more by its number, and the status moves to 推进中;
//   - the ticket's staff page shows the issue it is linked to (所属症结), and links it to
//     another open issue from there;
//   - the lead department's cadre finds it under 症结 on a phone and records measures, and
//     has no edit or link buttons; an enterprise's ticket page says nothing of it;
//   - the admin dashboard's panel lists the open issues with their requests and enterprises,
//     at 1440 px and 390 px, with many issues and long titles;
//   - the dashboard's hot topics (热点诉求) list a word of this month's requests as new and
//     rising, with the categories and the chart, at 1440 px and 390 px; the word opens the
//     ticket list searched for it;
//   - the monthly assessment archive: last month published over the API, then published again
//     from the dashboard with a note (required), both versions listed;
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/systemic.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Preconditions made over the API are named so (`overApi`).

import {
  DEMO_PASSWORD, PHONE, DESKTOP,
  check, checkEqual, eventually, visible,
  scenario, step, watchPages, launch, shot,
  apiOk, apiLogin, startWatchdog, endRun, signedIn,
} from './lib.mjs';

const tid = (page, id) => page.getByTestId(id);

const LONG_TITLE = '园区企业新建厂房用电报装周期长、专变勘查排队久，影响设备调试和按期投产的共性问题（涉及多个片区）';

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/systemic-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const tokens = {
    dispatcher: await apiLogin('dispatcher', DEMO_PASSWORD),
    enterprise: await apiLogin('enterprise', DEMO_PASSWORD),
    power: await apiLogin('cadre.power', DEMO_PASSWORD),
  };
  const depts = (await apiOk('GET', '/departments', { token: tokens.dispatcher })).items;
  const power = depts.find((d) => d.name === '国网望城供电公司');
  check(power, 'the demo has 国网望城供电公司');
  const hr = depts.find((d) => d.name === '区人力资源和社会保障局');

  const filed = await step('overApi: the enterprise files two more requests about power connections', async () => {
    const cats = (await apiOk('GET', '/categories', { token: tokens.enterprise })).items;
    const out = [];
    for (const [title, description] of [
      ['二期厂房专变报装迟迟未勘查', '申请 630kVA 专变报装已三周，供电公司尚未安排现场勘查，设备无法调试。'],
      ['用电增容申请无人回复', '车间扩产需要用电增容，线上提交申请后一直没有回复，专变报装进度不明。'],
    ]) {
      out.push(await apiOk('POST', '/tickets', { token: tokens.enterprise, body: { kind: 'problem', category_id: cats[0].id, title, description } }));
    }
    return out;
  });

  let issueId = null;
  const desk = await signedIn(browser, contexts, 'dispatcher', /^#\/d/, DESKTOP);
  watchPages(desk);

  await scenario('the dispatcher opens a systemic issue and links the requests it explains', async () => {
    await step('the list says there are none yet', async () => {
      await tid(desk, 'tabbar-systemic').first().click();
      await eventually(async () => new URL(desk.url()).hash.startsWith('#/d/systemic'), 'the list of systemic issues');
      await visible(desk.locator('.state-empty'), 'the empty list');
      await shot(desk, 'systemic-list-none-desk.png');
    });
    await step('the form opens one with a long title, and its page follows', async () => {
      await tid(desk, 'systemic-new').click();
      await visible(tid(desk, 'systemic-form'), 'the form');
      await tid(desk, 'systemic-title').fill(LONG_TITLE);
      await tid(desk, 'systemic-lead').selectOption(power.id);
      await tid(desk, 'systemic-analysis').fill('近两个月多家企业反映新建厂房用电报装、专变勘查和增容申请办理慢。根源在于供电公司报装受理与现场勘查分属两个班组，线上申请未同步推送，企业只能反复催问。');
      await tid(desk, 'dialog-ok').click();
      await eventually(async () => /^#\/d\/systemic\/[0-9a-f-]{36}$/.test(new URL(desk.url()).hash), 'the new issue\'s page');
      issueId = new URL(desk.url()).hash.split('/').pop();
      await visible(tid(desk, 'systemic-detail'), 'the issue\'s page');
      checkEqual((await tid(desk, 'systemic-title').innerText()).trim(), LONG_TITLE, 'the title shown');
    });
    await step('the suggested requests are the power ones; linking one moves the counts', async () => {
      const suggestions = tid(desk, 'systemic-suggestion');
      await eventually(async () => (await suggestions.count()) >= 2, 'two suggestions or more');
      const titles = await suggestions.locator('.sy-ticket-title').allInnerTexts();
      check(titles.some((x) => x.includes('专变')), `a 专变 request is suggested (${titles.join(' / ')})`);
      check(!titles.some((x) => x.includes('招聘')), `the hiring request is not suggested (${titles.join(' / ')})`);
      await tid(desk, 'systemic-suggestion-link').first().click();
      await eventually(async () => (await tid(desk, 'systemic-ticket').count()) === 1, 'one linked request');
      await tid(desk, 'systemic-suggestion-link').first().click();
      await eventually(async () => (await tid(desk, 'systemic-ticket').count()) === 2, 'two linked requests');
    });
    await step('one more by its number, and the status moves to 推进中', async () => {
      const all = await apiOk('GET', '/tickets?limit=100', { token: tokens.dispatcher });
      const linked = (await apiOk('GET', `/systemic-issues/${issueId}`, { token: tokens.dispatcher })).tickets.map((x) => x.id);
      const other = [...filed, ...all.items].find((x) => !linked.includes(x.id) && /专变|用电/.test(x.title));
      check(other, 'a power request not yet linked');
      await tid(desk, 'systemic-link-number').fill(other.number.toLowerCase());
      await tid(desk, 'systemic-link-submit').click();
      await eventually(async () => (await tid(desk, 'systemic-ticket').count()) === 3, 'three linked requests');
      await desk.locator('[data-testid="systemic-set-status"][data-status="addressing"]').click();
      await eventually(async () => (await tid(desk, 'systemic-status').first().getAttribute('data-status')) === 'addressing', 'the status 推进中');
      const counts = (await tid(desk, 'systemic-counts').innerText()).trim();
      check(/3 件诉求/.test(counts), `the counts say 3 requests (${counts})`);
      await shot(desk, 'systemic-detail-desk.png');
    });
  });

  await scenario('the ticket\'s staff page shows its issue, and links another from there', async () => {
    const other = await step('overApi: a second open issue, led by the human-resources bureau', async () => apiOk('POST', '/systemic-issues', {
      token: tokens.dispatcher, body: { title: '一线技术工人招工难', analysis: '多家企业反映旺季招工难，校企对接渠道少。', lead_department_id: hr.id },
    }));
    const detail = await apiOk('GET', `/systemic-issues/${issueId}`, { token: tokens.dispatcher });
    const ticket = detail.tickets[0];
    await step('所属症结 names the issue, with its counts', async () => {
      await desk.goto(`/#/d/tickets/${ticket.id}`);
      const item = await visible(tid(desk, 'ticket-systemic-item'), 'the linked issue');
      checkEqual(await item.getAttribute('data-id'), issueId, 'the issue listed');
    });
    await step('the picker links the ticket to the other open issue', async () => {
      await tid(desk, 'ticket-systemic-pick').selectOption(other.id);
      await tid(desk, 'ticket-systemic-link').click();
      await eventually(async () => (await tid(desk, 'ticket-systemic-item').count()) === 2, 'two issues on the ticket');
      await shot(desk, 'systemic-ticket-section-desk.png');
    });
  });

  await scenario('the lead department\'s cadre records measures on a phone; the enterprise sees nothing', async () => {
    const phone = await signedIn(browser, contexts, 'cadre.power', /^#\/c/, PHONE);
    watchPages(phone);
    await step('症结 lists the department\'s issue, not the other department\'s', async () => {
      await tid(phone, 'tabbar-systemic').click();
      await visible(tid(phone, 'systemic-item'), 'an issue');
      const ids = await tid(phone, 'systemic-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
      checkEqual(ids.join(','), issueId, 'the issues the cadre sees');
      await shot(phone, 'systemic-list-cadre-phone.png');
    });
    await step('the cadre records measures; no edit, link or unlink buttons', async () => {
      await tid(phone, 'systemic-item').click();
      await visible(tid(phone, 'systemic-detail'), 'the issue\'s page');
      checkEqual(await tid(phone, 'systemic-edit').count(), 0, 'edit buttons');
      checkEqual(await tid(phone, 'systemic-unlink').count(), 0, 'unlink buttons');
      checkEqual(await tid(phone, 'systemic-suggested').count(), 0, 'suggestion cards');
      await tid(phone, 'systemic-edit-measures').click();
      await tid(phone, 'systemic-measures').last().fill('已将报装受理与现场勘查并入一个窗口，线上申请当日推送勘查班组。');
      await tid(phone, 'dialog-ok').click();
      await eventually(async () => (await tid(phone, 'systemic-measures').first().innerText()).includes('一个窗口'), 'the measures shown');
      await shot(phone, 'systemic-detail-cadre-phone.png');
    });
    const ent = await signedIn(browser, contexts, 'enterprise', /^#\/e/, PHONE);
    watchPages(ent);
    await step('the enterprise\'s ticket page says nothing of systemic issues', async () => {
      await ent.goto(`/#/e/tickets/${filed[0].id}`);
      await visible(ent.getByText(filed[0].title).first(), 'the ticket');
      const text = await ent.locator('body').innerText();
      check(!text.includes('症结') && !text.includes(LONG_TITLE.slice(0, 12)), 'no systemic issue on the enterprise\'s page');
    });
  });

  await scenario('the dashboard lists the open issues with their requests and enterprises', async () => {
    await step('overApi: many more issues, some with long titles', async () => {
      for (let i = 1; i <= 12; i += 1) {
        await apiOk('POST', '/systemic-issues', { token: tokens.dispatcher, body: {
          title: i % 3 ? `园区共性问题第 ${i} 项` : `第 ${i} 项：${'园区道路照明、排水与停车设施年久失修，'.repeat(2)}多家企业反映`,
          analysis: '多家企业反映，待分析。', lead_department_id: i % 2 ? power.id : hr.id } });
      }
    });
    for (const [name, options, file] of [['desk', DESKTOP, 'systemic-dashboard-desk.png'], ['phone', PHONE, 'systemic-dashboard-phone.png']]) {
      const page = await signedIn(browser, contexts, 'admin', /^#\/a/, options);
      watchPages(page);
      await step(`the panel (${name}) puts the issue with the most requests first`, async () => {
        const rows = tid(page, 'systemic-panel-row');
        await eventually(async () => (await rows.count()) === 10, 'ten rows');
        checkEqual(await rows.first().getAttribute('data-id'), issueId, 'the first row');
        if (name === 'desk') {
          const cells = await rows.first().locator('td').allInnerTexts();
          checkEqual(cells[2].trim(), '3', 'its requests');
          checkEqual(cells[3].trim(), '1', 'its enterprises');
        } else {
          const counts = (await rows.first().getByTestId('systemic-panel-counts').innerText()).trim();
          check(/^3 件诉求 · 1 家企业$/.test(counts), `its requests and enterprises (${counts})`);
        }
        await shot(page, file);
      });
      if (name === 'desk') {
        await step('全部症结 opens the list, with many issues', async () => {
          await tid(page, 'systemic-panel-all').click();
          await eventually(async () => (await tid(page, 'systemic-item').count()) >= 14, 'the list of issues');
          await shot(page, 'systemic-list-many-desk.png');
        });
      }
    }
    const phoneList = await signedIn(browser, contexts, 'dispatcher', /^#\/d/, PHONE);
    watchPages(phoneList);
    await step('the list on a phone, with long titles', async () => {
      await phoneList.goto('/#/d/systemic');
      await eventually(async () => (await tid(phoneList, 'systemic-item').count()) >= 14, 'the list of issues');
      const wide = await phoneList.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 390, `nothing wider than the screen (${wide} px)`);
      await shot(phoneList, 'systemic-list-many-phone.png');
      await phoneList.goto(`/#/d/systemic/${issueId}`);
      await visible(tid(phoneList, 'systemic-detail'), 'the issue\'s page');
      await eventually(async () => (await tid(phoneList, 'systemic-suggestion').count()) >= 0, 'the suggestions');
      const wideDetail = await phoneList.evaluate(() => document.documentElement.scrollWidth);
      check(wideDetail <= 390, `nothing wider than the screen on the issue's page (${wideDetail} px)`);
      await shot(phoneList, 'systemic-detail-phone.png');
    });
  });

  await scenario('the dashboard\'s hot topics flag the rising word, and a word opens the requests that say it', async () => {
    await step('overApi: three more requests about 专变 today', async () => {
      const cats = (await apiOk('GET', '/categories', { token: tokens.enterprise })).items;
      for (const [title, description] of [
        ['新厂区专变迟迟不能送电', '专变安装完毕一个多月，验收后迟迟不能送电，生产线无法试运行。'],
        ['专变验收排期太久', '专变验收需要排队一个月，希望加快。'],
        ['专变报装材料反复退回', `专变报装材料被退回三次，每次要求不同。${'补充说明：'.repeat(30)}`],
      ]) {
        await apiOk('POST', '/tickets', { token: tokens.enterprise, body: { kind: 'problem', category_id: cats[0].id, title, description } });
      }
    });
    for (const [name, options, file] of [['desk', DESKTOP, 'hot-topics-desk.png'], ['phone', PHONE, 'hot-topics-phone.png']]) {
      const page = await signedIn(browser, contexts, 'admin', /^#\/a/, options);
      watchPages(page);
      await step(`the panel (${name}) lists 专变 among the words, as new and rising`, async () => {
        // The words are counted in the background (every second on this server): reload
        // until this minute's requests are in.
        const word = page.locator('[data-testid="hot-word"][data-text="专变"]');
        await eventually(async () => {
          if (await word.count()) return true;
          await page.reload();
          await visible(tid(page, 'hot-panel'), 'the hot topics panel');
          await eventually(async () => (await tid(page, 'hot-totals').count()) > 0 || (await tid(page, 'hot-empty').count()) > 0, 'the panel loaded');
          return (await word.count()) > 0;
        }, 'the word 专变 in the panel', 30000);
        const text = (await word.innerText()).replace(/\s+/g, ' ');
        check(/专变/.test(text) && /\d+ 件/.test(text) && /新出现/.test(text) && /上升/.test(text), `专变 with its count, new and rising (${text})`);
        check(await page.locator('[data-testid="hot-rising-word"][data-text="专变"]').count() === 1, '专变 among the rising');
        check((await tid(page, 'hot-categories').locator('[data-testid="hot-share"]').count()) >= 1, 'the categories');
        await visible(tid(page, 'chart-hot-topics').locator('img'), 'the chart of the hot words');
        const screen = name === 'phone' ? 390 : 1440;
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        check(wide <= screen, `nothing wider than the screen (${wide} px)`);
        // The card itself, and the counts at the end of its rows, inside the screen.
        const box = await tid(page, 'hot-panel').boundingBox();
        check(box.x + box.width <= screen, `the panel within the screen (right edge ${box.x + box.width} px)`);
        const count = await word.locator('.sa-hot-count').boundingBox();
        check(count && count.x + count.width <= box.x + box.width, 'the count within the panel');
        await tid(page, 'hot-panel').scrollIntoViewIfNeeded();
        await shot(page, file);
      });
      if (name === 'desk') {
        await step('the word opens the list searched for it', async () => {
          await page.locator('[data-testid="hot-word"][data-text="专变"] a').click();
          await eventually(async () => /q=%E4%B8%93%E5%8F%98|q=专变/.test(decodeURIComponent(page.url())) || page.url().includes('q='), 'the list searched');
          await eventually(async () => (await tid(page, 'ticket-item').count()) >= 4, 'the requests that say 专变');
          checkEqual(await tid(page, 'ticket-search').inputValue(), '专变', 'the search box');
        });
      }
    }
  });

  await scenario('the administrator publishes last month\'s assessment again, with a note; the archive keeps both', async () => {
    const admin = await apiLogin('admin', DEMO_PASSWORD);
    const now = new Date(Date.now() + 8 * 3600 * 1000);
    const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
    await step(`overApi: ${last} archived (version 1), as the service does at the start of the month`, async () => {
      await apiOk('POST', `/assessments/${last}/publish`, { token: admin, body: {} }, [201]);
    });
    const page = await signedIn(browser, contexts, 'admin', /^#\/a/, DESKTOP);
    watchPages(page);
    await step('the archive lists it; 重新发布 asks why, and adds version 2', async () => {
      const rows = tid(page, 'assessment-row');
      await eventually(async () => (await rows.count()) === 1, 'one archived version');
      checkEqual(await rows.first().getAttribute('data-month'), last, 'its month');
      await tid(page, 'assessment-archive').scrollIntoViewIfNeeded();
      await rows.first().getByTestId('assessment-republish').click();
      await visible(page.locator('[data-testid="form-dialog"][data-action="assessment-republish"]'), 'the dialog');
      await tid(page, 'dialog-ok').click();
      await eventually(async () => (await page.locator('[data-testid="form-dialog"] .field-error').allInnerTexts()).some((x) => x.trim()), 'a note is required');
      await tid(page, 'assessment-note').fill('补办结一件，按最新数据重新发布');
      await tid(page, 'dialog-ok').click();
      await eventually(async () => (await rows.count()) === 2, 'two versions');
      checkEqual(await rows.first().getAttribute('data-version'), '2', 'the newest first');
      const text = await rows.first().innerText();
      check(text.includes('补办结一件') && text.includes('管理员发布'), `the note and who (${text})`);
      check((await rows.nth(1).getByTestId('assessment-republish').count()) === 0, 'only the newest version is published again');
      await shot(page, 'assessment-archive-desk.png');
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
