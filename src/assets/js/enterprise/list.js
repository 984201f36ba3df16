// enterprise/list.js — 我的诉求 (#/e/tickets?tab=all|open|rate|done&q=…): the enterprise's requests
// by tab, searched, page by page.
//
// Test ids (stable, for tests/e2e):
//   tickets-tab-all tickets-tab-open tickets-tab-rate tickets-tab-done tickets-search
//   tickets-list ticket-item (data-id, data-status) ticket-rate-quick load-more

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { qs } from '../core/store.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { loading, empty, errorState } from '../core/states.js';
import { tabs } from '../core/controls.js';
import { ticketItem } from './tickets.js';

const LIST_TABS = {
  all: null,
  open: 'submitted,accepted,assigned,in_progress',
  rate: 'resolved',
  done: 'closed,rejected,withdrawn',
};

export function listPage(params, query) {
  const tab = Object.prototype.hasOwnProperty.call(LIST_TABS, query.tab) ? query.tab : 'all';
  const q = query.q || '';
  const listBox = h('div', { class: 'list', 'data-testid': 'tickets-list' });
  const more = h('button', { type: 'button', class: 'btn btn-ghost btn-block hidden', 'data-testid': 'load-more' }, t('common.more'));
  let cursor = null;

  const load = async (append) => {
    if (!append) listBox.replaceChildren(loading());
    more.disabled = true;
    try {
      const r = await api('GET', '/tickets', null, { query: { status: LIST_TABS[tab], q: q.trim() || null, limit: 20, cursor: append ? cursor : null } });
      const items = r.items || [];
      if (!append) listBox.replaceChildren();
      if (!append && !items.length) listBox.appendChild(empty(q ? t('list.none') : t('home.none'), q ? null : h('a', { class: 'btn btn-primary btn-small', href: '#/e/new' }, t('home.file'))));
      for (const it of items) listBox.appendChild(ticketItem(it));
      cursor = r.next_cursor;
      more.classList.toggle('hidden', !cursor);
    } catch (err) {
      if (!append) listBox.replaceChildren(errorState(err, () => load(false)));
      else toast(errorMessage(err), 'error');
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener('click', () => load(true));

  const search = h('input', { class: 'input search-input', type: 'search', name: 'q', value: q, placeholder: t('list.search'), maxlength: '100', 'aria-label': t('list.search'), 'data-testid': 'tickets-search', enterkeyhint: 'search' });
  const searchForm = h('form', { class: 'searchbar', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    navigate(`#/e/tickets${qs({ tab: tab === 'all' ? null : tab, q: search.value.trim() })}`);
  } }, icon('search'), search);

  const bar = tabs([
    { value: 'all', label: t('list.all'), testid: 'tickets-tab-all' },
    { value: 'open', label: t('list.open'), testid: 'tickets-tab-open' },
    { value: 'rate', label: t('list.rate'), testid: 'tickets-tab-rate' },
    { value: 'done', label: t('list.done'), testid: 'tickets-tab-done' },
  ], tab, (v) => navigate(`#/e/tickets${qs({ tab: v === 'all' ? null : v, q })}`));

  load(false);
  return page({ title: t('list.title'), body: h('div', { class: 'tickets' }, h('div', { class: 'sticky-top' }, searchForm, bar), listBox, more), tabbar: true });
}
