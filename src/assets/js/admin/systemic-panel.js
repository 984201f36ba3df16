// admin/systemic-panel.js — the dashboard's panel of the systemic issues not yet solved (症结:
// open and being addressed), the most requests first, each with the requests and enterprises
// behind it and its lead department; each opens the issue on the dispatcher's desk, and 全部症结
// opens their list (a table on a desk, a list on a phone). Not bound to the dashboard's period:
// an issue is open until it is solved.
//
// Test ids (stable, for tests/e2e):
//   systemic-panel systemic-panel-table systemic-panel-row (data-id) systemic-panel-counts (phone)
//   systemic-panel-all systemic-panel-empty

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { loading, errorState, empty } from '../core/states.js';
import { directory, nameMap } from '../desk/directory.js';
import { systemicTag, countsText, issueHref } from '../desk/systemic.js';
import { table, td, wideScreen } from './frame.js';

/** How many issues the panel shows (the list has the rest). */
const SHOWN = 10;

export function systemicPanel() {
  const box = h('div', null, loading());
  const card = h('section', { class: 'card sa-systemic', 'data-testid': 'systemic-panel' },
    h('div', { class: 'sa-card-head' },
      h('h3', { class: 'card-title' }, t('a.systemic.title')),
      h('a', { class: 'btn btn-ghost btn-small', href: '#/d/systemic', 'data-testid': 'systemic-panel-all' }, t('a.systemic.all'))),
    box);
  const load = async () => {
    box.replaceChildren(loading());
    try {
      const [r, depts] = await Promise.all([
        api('GET', '/systemic-issues', null, { query: { status: 'open,addressing', limit: 100 } }),
        directory.departments().catch(() => []),
      ]);
      const names = nameMap(depts);
      const items = (r.items || []).slice().sort((a, b) => (b.requests - a.requests) || (b.enterprises - a.enterprises)).slice(0, SHOWN);
      if (!items.length) { box.replaceChildren(h('div', { 'data-testid': 'systemic-panel-empty' }, empty(t('a.systemic.none')))); return; }
      // On a phone a list: five columns leave the titles no room.
      if (!wideScreen.matches) {
        box.replaceChildren(h('ul', { class: 'sy-tickets', 'data-testid': 'systemic-panel-table' }, items.map((x) => h('li', { class: 'sy-ticket', 'data-testid': 'systemic-panel-row', 'data-id': x.id },
          h('a', { class: 'sy-ticket-link', href: issueHref(x.id, 'admin') }, h('span', { class: 'sy-ticket-title' }, x.title), systemicTag(x.status)),
          h('div', { class: 'muted sf-small sy-shared' }, h('span', { 'data-testid': 'systemic-panel-counts' }, countsText(x)), ` · ${names.get(x.lead_department_id) || '—'}`)))));
        return;
      }
      box.replaceChildren(table('systemic-panel-table', [t('a.systemic.issue'), t('sy.lead'), { label: t('sy.requests'), cls: 'num' }, { label: t('sy.enterprises'), cls: 'num' }, t('sy.filter.status')],
        h('tbody', null, items.map((x) => h('tr', { 'data-testid': 'systemic-panel-row', 'data-id': x.id },
          td(h('a', { href: issueHref(x.id, 'admin'), class: 'sa-systemic-title' }, x.title), 'sa-name'),
          td(names.get(x.lead_department_id) || '—'),
          td(String(x.requests ?? 0), 'num'),
          td(String(x.enterprises ?? 0), 'num'),
          td(systemicTag(x.status), 'sa-nowrap'))))));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    }
  };
  load();
  return card;
}
