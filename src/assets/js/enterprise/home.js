// enterprise/home.js — the enterprise's home (#/e): a greeting, 我要反映, the latest unread
// messages (when there are any), the counts by status, 为您推荐 (three policies it fits or may
// fit, those it can act on first, with the full list a tap away) and the five latest requests.
//
// Test ids (stable, for tests/e2e):
//   file-new home-greeting count-pending count-processing count-rate count-done
//   home-tickets home-all ticket-item (data-id, data-status) ticket-rate-quick
//   home-messages home-messages-all (and core/messages.js's message-item)
//   home-policies home-policies-all home-policies-empty (and policy-shared.js's policy-item…)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { session } from '../core/session.js';
import { page } from '../core/layout.js';
import { loading, empty, errorState } from '../core/states.js';
import { ticketItem } from './tickets.js';
import { latestUnread, messageItem } from '../core/messages.js';
import { policyItem } from './policy-shared.js';

/** How many recommendations the home shows. */
const HOME_POLICIES = 3;

export async function homePage() {
  const user = session.user() || {};
  const greeting = h('div', { class: 'home-greeting', 'data-testid': 'home-greeting' }, t('home.hello', { name: user.name || '' }));
  const entName = h('div', { class: 'home-enterprise' });
  if (user.enterprise_id) {
    api('GET', `/enterprises/${encodeURIComponent(user.enterprise_id)}`).then((e) => { entName.textContent = e.name; }, () => {});
  }
  const countsBox = h('div', { class: 'kpis kpis-4' });
  const listBox = h('div', { class: 'list', 'data-testid': 'home-tickets' }, loading());

  const kpi = (key, n, tab, testid) => h('a', { class: 'kpi', href: `#/e/tickets?tab=${tab}`, 'data-testid': testid },
    h('span', { class: 'kpi-value' }, String(n)), h('span', { class: 'kpi-label' }, t(key)));

  api('GET', '/tickets/counts').then((c) => {
    countsBox.replaceChildren(
      kpi('home.pending', (c.submitted || 0) + (c.accepted || 0), 'open', 'count-pending'),
      kpi('home.processing', (c.assigned || 0) + (c.in_progress || 0), 'open', 'count-processing'),
      kpi('home.rate', c.resolved || 0, 'rate', 'count-rate'),
      kpi('home.done', c.closed || 0, 'done', 'count-done'));
  }, () => countsBox.remove());

  const loadList = () => {
    listBox.replaceChildren(loading());
    api('GET', '/tickets', null, { query: { limit: 5 } }).then((r) => {
      const items = r.items || [];
      listBox.replaceChildren(...(items.length ? items.map(ticketItem)
        : [empty(t('home.none'))]));
    }, (err) => listBox.replaceChildren(errorState(err, loadList)));
  };
  loadList();

  // The latest unread messages, shown only when there are some.
  const messagesBox = h('section', { class: 'section', 'data-testid': 'home-messages', hidden: true });
  const loadMessages = () => latestUnread(3).then((items) => {
    if (!items.length) { messagesBox.hidden = true; messagesBox.replaceChildren(); return; }
    messagesBox.replaceChildren(
      h('div', { class: 'section-head' },
        h('h2', { class: 'section-title' }, t('msg.latest')),
        h('a', { class: 'section-more', href: '#/messages', 'data-testid': 'home-messages-all' }, t('msg.more'), icon('chevron'))),
      h('div', { class: 'list' }, items.map((m) => messageItem(m, loadMessages))));
    messagesBox.hidden = false;
  }, () => { messagesBox.hidden = true; });
  loadMessages();

  // 为您推荐: the few it can act on first — those it fits before those it may fit (the
  // server's order), 免申即享 ones (nothing to do) and those applied for already after them;
  // hidden if they cannot be read.
  const policiesList = h('div', { class: 'list' }, loading());
  const policiesBox = h('section', { class: 'section', 'data-testid': 'home-policies' },
    h('div', { class: 'section-head' },
      h('h2', { class: 'section-title' }, t('ep.recommend')),
      h('a', { class: 'section-more', href: '#/e/policies', 'data-testid': 'home-policies-all' }, t('ep.recommendMore'), icon('chevron'))),
    policiesList);
  api('GET', '/me/policies').then((r) => {
    const later = (x) => (x.application && x.application.status !== 'refused' ? 2 : 0) + (x.policy.free_grant ? 1 : 0);
    const items = (r.items || []).map((x, i) => [later(x), i, x]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, HOME_POLICIES).map(([, , x]) => x);
    policiesList.replaceChildren(...(items.length ? items.map((x) => policyItem(x.policy, x, null))
      : [h('a', { class: 'list-item ep-home-empty muted', href: '#/e/policies?tab=all', 'data-testid': 'home-policies-empty' }, t('ep.recommendNoneShort'), ' · ', h('span', { class: 'ep-link' }, t('ep.browse')))]));
  }, () => policiesBox.remove());

  const body = h('div', { class: 'home' },
    h('div', { class: 'home-banner' }, greeting, entName, h('p', { class: 'home-promise' }, t('home.promise'))),
    h('a', { class: 'big-action', href: '#/e/new', 'data-testid': 'file-new' },
      h('span', { class: 'big-action-icon', 'aria-hidden': 'true' }, icon('megaphone')),
      h('span', { class: 'big-action-text' }, h('strong', null, t('home.file')), h('small', null, t('home.fileSub'))),
      icon('chevron', 'big-action-chevron')),
    messagesBox,
    countsBox,
    policiesBox,
    h('section', { class: 'section' },
      h('div', { class: 'section-head' },
        h('h2', { class: 'section-title' }, t('home.mine')),
        h('a', { class: 'section-more', href: '#/e/tickets', 'data-testid': 'home-all' }, t('home.all'), icon('chevron'))),
      listBox));
  return page({ title: t('home.title'), body, tabbar: true });
}
