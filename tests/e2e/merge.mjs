// Merging duplicates (issue 18), in Debian's Chromium:
//
//   - an enterprise typing a new request is shown its own open request that says the same
//     (您已反映过类似问题), and files anyway — phone;
//   - the dispatcher's queue (待受理) says on the new request's card how many requests are like
//     it and names the most similar one; the dispatcher opens the new request, sees another
//     enterprise's request among the similar ones with the words they share, and merges it there
//     with 合并到此件 — desktop;
//   - the enterprise's request says it is handled together with the primary, shows the primary's
//     steps, and when the primary is resolved asks for and takes the enterprise's rating, staying
//     merged — phone; the primary's page lists it with that rating — desktop;
//   - another merge is undone with 撤销合并 and the request is back to 已受理.
//
//   BASE_URL=http://127.0.0.1:18083 ADMIN_PASSWORD=Qiyeshao@2026 [SCREENSHOTS_DIR=/tmp/shots] \
//   node tests/e2e/merge.mjs
//
// Needs a server with the demo data (`qiyeshao serve --demo`); tests/api/e2e.rs starts one and
// runs this. Preconditions made over the API are named so (`overApi`).

import {
  DEMO_PASSWORD, DESKTOP,
  check, checkEqual, eventually, visible, textMatches,
  scenario, step, watchPages, launch, shot,
  apiOk, apiLogin, startWatchdog, endRun, signedIn,
} from './lib.mjs';

const RUN = Date.now().toString(36).slice(-4).toUpperCase();
const tid = (page, id) => page.getByTestId(id);
const hashOf = (page) => new URL(page.url()).hash;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function main() {
  const browser = await launch();
  const contexts = [];
  startWatchdog(async () => {
    for (const c of contexts) for (const p of c.context.pages()) await p.screenshot({ path: `/tmp/merge-watchdog-${Date.now()}.png` }).catch(() => {});
  });
  const dispatcher = await apiLogin('dispatcher', DEMO_PASSWORD);
  const enterprise = await apiLogin('enterprise', DEMO_PASSWORD);
  const cadre = await apiLogin('cadre.power', DEMO_PASSWORD);
  const me = await apiOk('GET', '/me', { token: enterprise });
  const categories = await apiOk('GET', '/categories', { token: dispatcher });
  const category = (categories.items || categories).find((c) => c.name === '物流交通');
  check(category, 'the demo category 物流交通');
  const enterprises = await apiOk('GET', '/enterprises?limit=100', { token: dispatcher });
  const other = enterprises.items.find((e) => e.id !== me.enterprise_id);
  check(other, 'a second demo enterprise');
  const cadres = await apiOk('GET', '/users?role=cadre&limit=100', { token: dispatcher });
  const power = cadres.items.find((u) => u.username === 'cadre.power');
  check(power, 'the demo cadre cadre.power');

  let primary = null;
  let earlier = null;
  let duplicate = null;
  const ent = await signedIn(browser, contexts, 'enterprise', /^#\/e/);
  watchPages(ent);
  const desk = await signedIn(browser, contexts, 'dispatcher', /^#\/d/, DESKTOP);
  watchPages(desk);

  await scenario('an enterprise is shown its own request like the one it types, and files anyway', async () => {
    await step('overApi: another enterprise\'s request, accepted; and this enterprise\'s earlier one', async () => {
      primary = await apiOk('POST', '/tickets', { token: dispatcher, body: {
        kind: 'problem', category_id: category.id, enterprise_id: other.id, channel: 'phone',
        title: `园区北门货车通道路灯不亮 ${RUN}`, description: '北门货车通道的路灯已经坏了两周，晚上装卸货很危险' } });
      await apiOk('POST', `/tickets/${primary.id}/accept`, { token: dispatcher, body: {} });
      earlier = await apiOk('POST', '/tickets', { token: enterprise, body: {
        kind: 'problem', category_id: category.id,
        title: `北门通道路灯坏了 ${RUN}`, description: '厂区北门外通道的路灯不亮，司机晚上看不清' } });
    });
    await step('typing a request like it shows 您已反映过类似问题 with that request', async () => {
      await ent.goto('/#/e/new');
      await visible(tid(ent, 'ticket-title'), 'the filing form');
      await tid(ent, 'ticket-title').fill('北门路灯晚上不亮');
      await tid(ent, 'ticket-description').fill('园区北门通道的路灯坏了，货车晚上进出看不清路，请尽快修复');
      await textMatches(tid(ent, 'similar-hint'), /您已反映过类似问题/, 'the hint');
      await visible(tid(ent, 'similar-hint-item').filter({ hasText: earlier.title }), 'its own earlier request in the hint');
      const hinted = await tid(ent, 'similar-hint').innerText();
      check(!hinted.includes('园区北门货车通道'), `another enterprise's request is never hinted (${hinted})`);
      await shot(ent, 'merge-filing-hint-phone.png');
    });
    await step('it files anyway', async () => {
      await tid(ent, 'ticket-category').selectOption(category.id);
      await tid(ent, 'file-submit').click();
      await eventually(async () => /^#\/e\/tickets\/[^/?]+\?created=1/.test(hashOf(ent)), `the new request's page (at ${ent.url()})`);
      duplicate = decodeURIComponent(hashOf(ent).split('/')[3].split('?')[0]);
    });
  });

  await scenario('the dispatcher merges it into another enterprise\'s request from the similar list', async () => {
    await step('its card in 待受理 names the most similar request and how many there are', async () => {
      const similar = await apiOk('GET', `/tickets/${duplicate}/similar?limit=3`, { token: dispatcher });
      const items = similar.items || [];
      checkEqual(items[0] && items[0].number, primary.number, `the most similar over the API (${items.map((s) => s.number).join(', ')})`);
      // (the queue was shown at sign-in, before the request was filed: read it afresh)
      await desk.goto('/#/d?tab=submitted');
      await desk.reload();
      const card = tid(desk, 'ticket-item').and(desk.locator(`[data-id="${duplicate}"]`));
      await visible(card, 'the new request in 待受理');
      const line = card.getByTestId('ticket-similar');
      await textMatches(line, new RegExp(`相似 ${items.length} 件：\\s*${escapeRe(items[0].number)}`), 'the similar line');
      checkEqual(await line.getAttribute('data-count'), String(items.length), 'how many it found');
      check((await line.innerText()).includes(items[0].title.slice(0, 8)), 'the most similar one\'s title');
      // Plain text inside the card's link: the card still opens the request.
      checkEqual(await line.locator('a, button').count(), 0, 'no link or button inside the card');
      await shot(desk, 'merge-queue-similar-desktop.png');
      await line.click();
      await eventually(async () => hashOf(desk) === `#/d/tickets/${duplicate}`, `the request's page from its card (at ${desk.url()})`);
    });
    await step('the similar requests name the other enterprise\'s, with the words they share', async () => {
      await desk.goto(`/#/d/tickets/${duplicate}`);
      await visible(tid(desk, 'similar'), 'the similar requests');
      const item = tid(desk, 'similar-item').and(desk.locator(`[data-id="${primary.id}"]`));
      await visible(item, 'the other enterprise\'s request among them');
      await textMatches(item.getByTestId('similar-shared'), /路灯/, 'the shared words');
      await shot(desk, 'merge-similar-desktop.png');
      await item.getByTestId('similar-merge').click();
    });
    await step('合并到此件 fills in its number; the merge is done', async () => {
      const dialog = desk.locator('[data-testid="form-dialog"][data-action="merge"]');
      await visible(dialog, 'the merge dialog');
      checkEqual(await tid(desk, 'merge-primary').inputValue(), primary.number, 'the primary filled in');
      check((await tid(desk, 'merge-reason').inputValue()).includes(primary.number), 'a reason to start from');
      await shot(desk, 'merge-dialog-desktop.png');
      await tid(desk, 'dialog-ok').click();
      await textMatches(tid(desk, 'ticket-status'), /已合并/, 'the status');
      await visible(tid(desk, 'merged-into'), 'the request it follows');
      await textMatches(tid(desk, 'merged-into-link'), new RegExp(primary.number), 'its number');
      await visible(tid(desk, 'action-unmerge'), '撤销合并');
    });
  });

  await scenario('the enterprise follows the primary and rates its resolution on its own request', async () => {
    await step('its request says it is handled together, with the primary\'s status', async () => {
      await ent.goto(`/#/e/tickets/${duplicate}`);
      await textMatches(tid(ent, 'ticket-merged'), new RegExp(`合并办理.*${primary.number}`), 'the merged notice');
      await textMatches(tid(ent, 'ticket-status'), /已合并/, 'the status');
      await shot(ent, 'merge-enterprise-merged-phone.png');
    });
    await step('overApi: the primary is assigned and signed', async () => {
      await apiOk('POST', `/tickets/${primary.id}/assign`, { token: dispatcher, body: { department_id: power.department_id, assignee_id: power.id } });
      await apiOk('POST', `/tickets/${primary.id}/sign`, { token: cadre, body: {} });
    });
    await step('the cadre\'s progress form says the merged request\'s enterprise reads a public note too', async () => {
      const desk2 = await signedIn(browser, contexts, 'cadre.power', /^#\/c/, DESKTOP);
      watchPages(desk2);
      await desk2.goto(`/#/c/tickets/${primary.id}`);
      await (await visible(tid(desk2, 'action-progress'), '办理进展')).click();
      await textMatches(tid(desk2, 'progress-followers'), /1 件诉求合并/, 'the note about the merged request');
      await shot(desk2, 'merge-progress-followers-desktop.png');
      await tid(desk2, 'dialog-cancel').click();
    });
    await step('overApi: the primary is resolved', async () => {
      await apiOk('POST', `/tickets/${primary.id}/resolve`, { token: cadre, body: { resolution: '北门通道路灯已全部更换为LED灯，恢复照明' } });
    });
    await step('the resolution is on its request, which asks for a rating', async () => {
      await ent.reload();
      await textMatches(tid(ent, 'timeline'), /恢复照明/, 'the primary\'s resolution on the timeline');
      await (await visible(tid(ent, 'rate-open'), '立即评价')).click();
      await eventually(async () => /\/rate$/.test(hashOf(ent)), 'the rating page');
      await (await visible(ent.locator('label[for="rate-satisfied"]'), '满意')).click();
      await shot(ent, 'merge-rate-phone.png');
      await tid(ent, 'rate-submit').click();
      await eventually(async () => !/\/rate$/.test(hashOf(ent)), `back on the request (at ${ent.url()})`);
      await textMatches(tid(ent, 'ticket-rating'), /满意/, 'the rating shown');
      await textMatches(tid(ent, 'ticket-status'), /已合并/, 'still merged');
    });
    await step('the primary\'s page lists the merged request with its rating', async () => {
      await desk.goto(`/#/d/tickets/${primary.id}`);
      const row = tid(desk, 'duplicate-item').and(desk.locator(`[data-id="${duplicate}"]`));
      await visible(row, 'the merged request');
      await textMatches(row, /满意/, 'its rating');
      await shot(desk, 'merge-primary-duplicates-desktop.png');
    });
  });

  await scenario('a merge is undone with 撤销合并', async () => {
    let second = null;
    await step('overApi: the earlier request merged into another accepted one', async () => {
      second = await apiOk('POST', '/tickets', { token: dispatcher, body: {
        kind: 'problem', category_id: category.id, enterprise_id: other.id, channel: 'phone',
        title: `北门路面塌陷 ${RUN}`, description: '北门通道路面塌陷' } });
      await apiOk('POST', `/tickets/${second.id}/accept`, { token: dispatcher, body: {} });
      await apiOk('POST', `/tickets/${earlier.id}/merge`, { token: dispatcher, body: { primary: second.number, reason: '同一路段' } });
    });
    await step('the dispatcher takes it out, with a reason', async () => {
      await desk.goto(`/#/d/tickets/${earlier.id}`);
      await (await visible(tid(desk, 'action-unmerge'), '撤销合并')).click();
      await tid(desk, 'unmerge-reason').fill('不是同一问题：本件是路灯，主件是路面');
      await tid(desk, 'dialog-ok').click();
      await textMatches(tid(desk, 'ticket-status'), /已受理/, 'back to accepted');
      await visible(tid(desk, 'action-assign'), '派单 again');
    });
  });

  await endRun(browser, contexts);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
