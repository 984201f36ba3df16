// staff/ticket-list.js — the cadre's workbench (#/c?tab=to_sign|doing|due_soon|overdue|done&mine=1)
// and the dispatcher's queue (#/d?tab=submitted|accepted|handling|ext|overdue|resolved|all&sort=oldest): tabs with
// counts (refreshed every minute and when the page is shown again), search, and the tickets page
// by page. On the dispatcher's waiting cards (待受理, 已受理), a line filled in after the list
// shows: how many open or recently resolved requests are like it and the most similar one (issue 18).
//
// Test ids (stable, for tests/e2e):
//   workbench tab-to-sign tab-in-progress tab-due-soon tab-overdue tab-done
//   count-to-sign count-in-progress count-due-soon count-overdue count-done; queue tab-submitted
//   tab-accepted tab-handling tab-overdue tab-resolved tab-all count-submitted count-accepted
//   count-handling count-overdue count-resolved tab-ext-pending count-ext-pending sort-oldest; ticket-search ticket-search-submit only-mine
//   ticket-list list-refresh ticket-item (data-id, data-status) ticket-title ticket-due ticket-sign-due ticket-waited ticket-ext-pending
//   daily-check daily-check-summary daily-check-section (data-kind)
//   ticket-snippet (searched: the description around the words; title and snippet mark them with <mark class="hit">)
//   load-more list-end join-pending-note
//   ticket-similar (data-count: how many found, at most 3; only when some are)

import { h, marked } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { session } from '../core/session.js';
import { onLeave, currentHash } from '../core/router.js';
import { page } from '../core/layout.js';
import { tabs } from '../core/controls.js';
import { fmtDateTime, fmtDue, statusTag, kindTag, ratingTag } from '../core/format.js';
import { directory, nameMap } from '../desk/directory.js';
import { pagedList, setHashQuery } from '../desk/paged-list.js';
import { lastList } from './tickets.js';

function isMine(tk, me) { return tk.assignee_id && me && tk.assignee_id === me.id; }

function relationTag(tk, me) {
  if (!me || me.role !== 'cadre') return null;
  if (isMine(tk, me)) return h('span', { class: 'tag sf-tag-mine' }, t('s.mine'));
  if (!tk.assignee_id && tk.department_id && tk.department_id === me.department_id) return h('span', { class: 'tag tag-assigned' }, t('s.unclaimed'));
  if (tk.department_id === me.department_id) return h('span', { class: 'tag tag-muted' }, t('s.colleague'));
  if ((tk.co_department_ids || []).includes(me.department_id)) return h('span', { class: 'tag tag-muted' }, t('s.coHandling'));
  return h('span', { class: 'tag tag-muted' }, t('s.liaison'));
}

function dueBadge(tk) {
  // Waiting to be signed for (待签收): the deadline that runs now is the signing one.
  if (tk.status === 'assigned' && tk.sign_due_at) {
    const d = fmtDue(tk.sign_due_at);
    return h('span', { class: ['due', d.cls], 'data-testid': 'ticket-sign-due', title: fmtDateTime(tk.sign_due_at) }, icon('clock'), t('s.signDueBadge', { time: fmtDateTime(tk.sign_due_at) }));
  }
  if (!tk.due_at || !['assigned', 'in_progress'].includes(tk.status)) return null;
  const d = fmtDue(tk.due_at);
  return h('span', { class: ['due', d.cls], 'data-testid': 'ticket-due' }, icon('clock'), d.text);
}

/** Runs the jobs handed to it at most `max` at a time, in order; cancel() drops the waiting ones
 * and aborts those under way (the list was replaced or left). */
function fewAtATime(max) {
  const ctrl = new AbortController();
  const waiting = [];
  let running = 0;
  const next = () => {
    while (running < max && waiting.length && !ctrl.signal.aborted) {
      const job = waiting.shift();
      running += 1;
      job(ctrl.signal).catch(() => {}).finally(() => { running -= 1; next(); });
    }
  };
  return {
    add(job) { waiting.push(job); next(); },
    cancel() { waiting.length = 0; ctrl.abort(); },
  };
}

/** Requests waiting for the dispatcher whose similar ones are worth a line on the card. */
const SIMILAR_ON = ['submitted', 'accepted'];

/** Fills `slot` with 相似 N 件：number title once the answer comes; nothing when none or on error
 * (plain text: the card around it is the link to the detail, where 相似诉求 and 合并到此件 are). */
function similarLine(tk, slot, queue) {
  queue.add((signal) => api('GET', `/tickets/${encodeURIComponent(tk.id)}/similar`, null, { query: { limit: 3 }, signal }).then((res) => {
    const items = (res && res.items) || [];
    if (!items.length) return;
    const top = items[0];
    slot.replaceChildren(h('div', { class: 'sf-card-similar', 'data-testid': 'ticket-similar', 'data-count': String(items.length),
      title: t('s.similar.lineHint', { number: top.number, title: top.title }) },
    h('span', { class: 'sf-card-similar-n' }, t('s.similar.line', { n: items.length })),
    h('span', { class: 'ti-number' }, top.number), ' ', top.title));
  }));
}

function ticketCard(tk, href, ctx) {
  const me = session.user();
  let similar = null;
  if (ctx.similar && SIMILAR_ON.includes(tk.status)) {
    similar = h('div', { class: 'sf-card-similar-slot' });
    similarLine(tk, similar, ctx.similar);
  }
  const ent = h('span', { class: 'sf-card-ent' }, tk.contact_name || '');
  if (ctx.enterpriseNames && tk.enterprise_id) {
    directory.enterprise(tk.enterprise_id).then((e) => { if (e && e.name) ent.textContent = e.name; }, () => {});
  }
  const cat = ctx.categories && ctx.categories.get(tk.category_id);
  const dept = ctx.departments && tk.department_id ? ctx.departments.get(tk.department_id) : null;
  return h('a', { class: ['list-item', 'sf-card', tk.overdue && 'is-overdue'], href, 'data-testid': 'ticket-item', 'data-id': tk.id, 'data-status': tk.status },
    h('div', { class: 'ti-head' },
      h('div', { class: 'ti-title', 'data-testid': 'ticket-title' }, tk.highlight ? marked(tk.highlight.title) : tk.title),
      statusTag(tk.status)),
    // Searched: where the words are in the description.
    tk.highlight ? h('div', { class: 'ti-snippet muted', 'data-testid': 'ticket-snippet' }, marked(tk.highlight.description)) : null,
    h('div', { class: 'ti-meta muted' },
      h('span', { class: 'ti-number' }, tk.number),
      kindTag(tk.kind),
      tk.priority === 'urgent' ? h('span', { class: 'tag tag-urgent' }, t('s.urgent')) : null,
      cat ? h('span', null, cat) : null,
      relationTag(tk, me),
      tk.escalation_level > 0 ? h('span', { class: 'tag tag-warn' }, t('s.escalated', { level: tk.escalation_level })) : null,
      tk.reopen_count > 0 ? h('span', { class: 'tag tag-muted' }, t('s.reopened', { n: tk.reopen_count })) : null,
      tk.extension_pending ? h('span', { class: 'tag tag-warn', 'data-testid': 'ticket-ext-pending' }, t('s.extPending')) : null),
    similar,
    h('div', { class: 'ti-foot' },
      h('span', { class: 'sf-card-who muted' }, ent, dept && ctx.showDept ? h('span', null, ` · ${dept}`) : null),
      h('span', { class: 'sf-card-right' },
        dueBadge(tk),
        tk.status === 'resolved' || tk.status === 'closed' ? ratingTag(tk.rating) : null,
        // Not yet accepted: how long the enterprise has been waiting, not just when it filed.
        tk.status === 'submitted' ? waited(tk) : null,
        !dueBadge(tk) && tk.status !== 'submitted' ? h('span', { class: 'muted sf-small' }, fmtDateTime(tk.created_at)) : null)));
}

/** 已等待 3 小时 / 2 天 since filing (the time itself in the tooltip). */
function waited(tk) {
  const minutes = Math.max(0, Math.floor((Date.now() - new Date(tk.created_at).getTime()) / 60000));
  const text = minutes < 60 ? t('s.waitedMinutes', { n: Math.max(1, minutes) })
    : minutes < 48 * 60 ? t('s.waitedHours', { n: Math.floor(minutes / 60) })
      : t('s.waitedDays', { n: Math.floor(minutes / 1440) });
  return h('span', { class: ['sf-small', minutes >= 24 * 60 ? 'sf-waited-long' : 'muted'], 'data-testid': 'ticket-waited', title: fmtDateTime(tk.created_at) }, text);
}

function countLabel(label, testid, cls) {
  return [h('span', null, label), h('span', { class: ['sf-count', cls], 'data-testid': testid }, '')];
}

export async function listPage({ mode, query }) {
  const me = session.user();
  const isCadre = mode === 'cadre';
  const TABS = isCadre ? [
    { value: 'to_sign', label: 's.c.tab.toSign', testid: 'tab-to-sign', countId: 'count-to-sign', q: { status: 'assigned' }, count: (c) => c.assigned },
    { value: 'doing', label: 's.c.tab.doing', testid: 'tab-in-progress', countId: 'count-in-progress', q: { status: 'in_progress' }, count: (c) => c.in_progress },
    { value: 'due_soon', label: 's.c.tab.dueSoon', testid: 'tab-due-soon', countId: 'count-due-soon', q: { due_soon: true }, count: (c) => c.due_soon, cls: 'sf-count-warn' },
    { value: 'overdue', label: 's.c.tab.overdue', testid: 'tab-overdue', countId: 'count-overdue', q: { overdue: true }, count: (c) => c.overdue, cls: 'sf-count-danger' },
    { value: 'done', label: 's.c.tab.done', testid: 'tab-done', countId: 'count-done', q: { status: 'resolved,closed' }, count: (c) => (c.resolved ?? 0) + (c.closed ?? 0) },
  ] : [
    { value: 'submitted', label: 's.d.tab.submitted', testid: 'tab-submitted', countId: 'count-submitted', q: { status: 'submitted' }, count: (c) => c.submitted, cls: 'sf-count-warn' },
    { value: 'accepted', label: 's.d.tab.accepted', testid: 'tab-accepted', countId: 'count-accepted', q: { status: 'accepted' }, count: (c) => c.accepted },
    { value: 'handling', label: 's.d.tab.handling', testid: 'tab-handling', countId: 'count-handling', q: { status: 'assigned,in_progress' }, count: (c) => (c.assigned ?? 0) + (c.in_progress ?? 0) },
    // 待审批: extension requests waiting for a decision, found without opening each ticket.
    { value: 'ext', label: 's.d.tab.extPending', testid: 'tab-ext-pending', countId: 'count-ext-pending', q: { extension_pending: true }, count: (c) => c.extension_pending, cls: 'sf-count-warn' },
    { value: 'overdue', label: 's.d.tab.overdue', testid: 'tab-overdue', countId: 'count-overdue', q: { overdue: true }, count: (c) => c.overdue, cls: 'sf-count-danger' },
    { value: 'resolved', label: 's.d.tab.resolved', testid: 'tab-resolved', countId: 'count-resolved', q: { status: 'resolved' }, count: (c) => c.resolved },
    { value: 'all', label: 's.d.tab.all', testid: 'tab-all', q: {} },
  ];
  let tab = TABS.find((x) => x.value === query.tab) ? query.tab : TABS[0].value;
  let q = query.q || '';
  let onlyMine = isCadre && query.mine === '1';
  // The dispatcher may read a queue oldest first: who has waited longest comes first.
  let oldestFirst = !isCadre && query.sort === 'oldest';
  const base = isCadre ? '#/c' : '#/d';

  const [depts, cats] = await Promise.all([
    directory.departments().catch(() => []),
    directory.categories().catch(() => []),
  ]);
  const ctx = { departments: nameMap(depts), categories: nameMap(cats), enterpriseNames: !isCadre, showDept: !isCadre };

  const tabsNode = tabs(TABS.map((x) => ({ value: x.value, testid: x.testid, label: x.countId ? countLabel(t(x.label), x.countId, x.cls) : t(x.label) })), tab, (v) => { tab = v; go(); });
  tabsNode.classList.add('sf-tabs');

  const search = h('input', { type: 'search', class: 'input', name: 'q', value: q, placeholder: t('s.search'), 'data-testid': 'ticket-search', maxlength: '100', 'aria-label': t('s.search'), enterkeyhint: 'search' });
  const toolbar = h('form', { class: 'toolbar sf-toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); q = search.value.trim(); go(); } },
    h('div', { class: 'sf-search' }, icon('search'), search),
    h('button', { type: 'submit', class: 'btn btn-ghost btn-small', 'data-testid': 'ticket-search-submit' }, t('s.searchBtn')),
    isCadre ? h('label', { class: 'sf-check' },
      h('input', { type: 'checkbox', checked: onlyMine, 'data-testid': 'only-mine', onchange: (e) => { onlyMine = e.target.checked; go(); } }),
      h('span', null, t('s.c.onlyMine'))) : null,
    !isCadre ? h('label', { class: 'sf-check' },
      h('input', { type: 'checkbox', checked: oldestFirst, 'data-testid': 'sort-oldest', onchange: (e) => { oldestFirst = e.target.checked; go(); } }),
      h('span', null, t('s.d.oldestFirst'))) : null);
  search.addEventListener('search', () => { if (!search.value && q) { q = ''; go(); } });

  const listBox = h('div', { class: 'sf-listbox' });
  let current = null;

  function go() {
    // (only while this list is the current page: the first go() runs after the look-ups above, when the user may have moved on)
    if (currentHash().split('?')[0] === base) {
      setHashQuery({ tab, q, mine: onlyMine ? '1' : '', sort: oldestFirst ? 'oldest' : '' });
      lastList[mode] = currentHash();
    }
    const def = TABS.find((x) => x.value === tab);
    const filter = { ...def.q, q: q || undefined, assignee_id: onlyMine ? me.id : undefined, sort: oldestFirst ? 'oldest' : undefined };
    // The similar requests of every enterprise are the dispatcher's and the administrator's to
    // see (cadres are refused): asked for as the cards are made, a few at a time.
    if (ctx.similar) ctx.similar.cancel();
    ctx.similar = isCadre ? null : fewAtATime(4);
    current = pagedList({
      testid: 'ticket-list',
      emptyText: q ? t('common.empty') : t(`${isCadre ? 's.c' : 's.d'}.empty.${tab}`),
      load: (cursor) => api('GET', '/tickets', null, { query: { ...filter, limit: 20, cursor } }),
      item: (tk) => ticketCard(tk, `${base}/tickets/${encodeURIComponent(tk.id)}`, ctx),
    });
    listBox.replaceChildren(current.element);
    loadCounts();
  }

  async function loadCounts() {
    try {
      const c = await api('GET', '/tickets/counts');
      for (const x of TABS) {
        if (!x.countId) continue;
        const el = tabsNode.querySelector(`[data-testid="${x.countId}"]`);
        const n = x.count(c);
        if (el) { el.textContent = n === undefined || n === null ? '' : String(n); el.classList.toggle('is-zero', !n); }
      }
    } catch (err) {
      tabsNode.title = t('s.countsFailed');
    }
  }

  // Refresh counts and the list when coming back to the tab (another user may have acted).
  const onVis = () => { if (document.visibilityState === 'visible') loadCounts(); };
  document.addEventListener('visibilitychange', onVis);
  const poll = setInterval(() => { if (document.visibilityState === 'visible') loadCounts(); }, 60000);
  onLeave(() => { document.removeEventListener('visibilitychange', onVis); clearInterval(poll); if (ctx.similar) ctx.similar.cancel(); });

  go();
  // Requests to join an enterprise waiting for a decision (an enterprise whose manager is
  // away is decided here): a note above the queue, shown only when there are some.
  const joinNote = h('a', { class: 'notice notice-warn hidden', href: '#/join-requests', 'data-testid': 'join-pending-note' });
  if (!isCadre) {
    api('GET', '/join-requests?status=pending').then((r) => {
      const n = (r && r.items && r.items.length) || 0;
      if (!n) return;
      joinNote.replaceChildren(icon('alert'), h('span', null, t('s.d.joinPending', { n })));
      joinNote.classList.remove('hidden');
    }).catch(() => {});
  }
  // 每日检查: today's digest (GET /me/daily-check, counted now), above the list when there is
  // something to act on; opened, it names the first requests of each section.
  const dailyNote = h('details', { class: 'notice notice-info sf-daily hidden', 'data-testid': 'daily-check' });
  api('GET', '/me/daily-check').then((r) => {
    if (!r || !r.sections || !r.sections.length) return;
    dailyNote.replaceChildren(
      h('summary', { 'data-testid': 'daily-check-summary' }, icon('alert'), h('span', null, t('s.daily.title'), ' · ', r.summary)),
      ...r.sections.map((sec) => h('div', { class: 'sf-daily-sec', 'data-testid': 'daily-check-section', 'data-kind': sec.kind },
        h('div', { class: 'sf-daily-label' }, t('s.daily.section', { label: sec.label, n: sec.count })),
        h('ul', null, sec.items.map((it) => h('li', null,
          h('a', { href: `${base}/tickets/${encodeURIComponent(it.id)}` }, `${it.number} ${it.title}`)))))));
    dailyNote.classList.remove('hidden');
  }).catch(() => {});
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), 'data-testid': 'list-refresh', onclick: () => go() }, icon('refresh'));
  return page({ title: t(isCadre ? 's.c.title' : 's.d.title'), actions: refreshBtn, tabbar: true, wide: true, className: 'sf-page sf-listpage',
    body: h('div', { class: 'sf-listwrap' }, dailyNote, isCadre ? null : joinNote, tabsNode, toolbar, listBox) });
}
