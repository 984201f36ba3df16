// staff/systemic-list.js — the systemic issues (症结) a reader sees (#/c/systemic for a cadre:
// their department's; #/d/systemic?status=&department_id= for dispatchers and admins: all),
// newest first, page by page, each with its status, lead department and the requests and
// enterprises behind it; filters by status and (on the dispatcher's desk) lead department;
// 新建症结 for dispatchers and admins.
//
// Test ids (stable, for tests/e2e):
//   systemic-list systemic-item (data-id, data-status) systemic-item-title systemic-counts
//   systemic-filter-status systemic-filter-department systemic-new load-more list-end

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { fmtDateTime } from '../core/format.js';
import { directory, nameMap, deptSelectOptions } from '../desk/directory.js';
import { pagedList, setHashQuery } from '../desk/paged-list.js';
import { SYSTEMIC_STATUSES, systemicTag, countsText, issueHref } from '../desk/systemic.js';
import { issueForm } from './systemic-form.js';

/** The status filter's choices: '' is "not solved" (the default), 'all' every status. */
const UNSOLVED = 'open,addressing';

function issueCard(issue, role, depts) {
  return h('a', { class: ['list-item', 'sf-card', 'sy-card'], href: issueHref(issue.id, role), 'data-testid': 'systemic-item', 'data-id': issue.id, 'data-status': issue.status },
    h('div', { class: 'ti-head' },
      h('div', { class: 'ti-title', 'data-testid': 'systemic-item-title' }, issue.title),
      systemicTag(issue.status)),
    h('div', { class: 'ti-meta muted' },
      h('span', { class: 'sy-counts', 'data-testid': 'systemic-counts' }, countsText(issue)),
      h('span', null, depts.get(issue.lead_department_id) || '—')),
    h('div', { class: 'ti-foot' },
      h('span', { class: 'muted sf-small' }, t('sy.updated', { time: fmtDateTime(issue.updated_at) }))));
}

export async function systemicListPage({ mode, query }) {
  const role = mode === 'cadre' ? 'cadre' : 'dispatcher';
  const canOpen = mode !== 'cadre';
  const base = mode === 'cadre' ? '#/c/systemic' : '#/d/systemic';
  let status = query.status === 'all' || SYSTEMIC_STATUSES.includes(query.status) ? query.status : '';
  let department = canOpen && query.department_id ? query.department_id : '';
  const depts = await directory.departments().catch(() => []);
  const names = nameMap(depts);

  const statusSel = h('select', { class: 'select', 'data-testid': 'systemic-filter-status', 'aria-label': t('sy.filter.status'),
    onchange: (e) => { status = e.target.value; go(); } },
  h('option', { value: '', selected: status === '' }, t('sy.filter.unsolved')),
  SYSTEMIC_STATUSES.map((s) => h('option', { value: s, selected: status === s }, t(`sy.status.${s}`))),
  h('option', { value: 'all', selected: status === 'all' }, t('sy.filter.all')));
  const deptSel = canOpen ? h('select', { class: 'select', 'data-testid': 'systemic-filter-department', 'aria-label': t('sy.filter.department'),
    onchange: (e) => { department = e.target.value; go(); } },
  deptSelectOptions(depts, { selected: department, placeholder: t('sy.filter.allDepartments') })) : null;
  const newBtn = canOpen ? h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-testid': 'systemic-new',
    onclick: async () => {
      const made = await issueForm({});
      if (made && made.id) navigate(issueHref(made.id, role));
    } }, icon('plus'), t('sy.new')) : null;
  const toolbar = h('div', { class: 'toolbar sf-toolbar sy-toolbar' }, statusSel, deptSel, h('span', { class: 'toolbar-spacer' }), newBtn);
  const listBox = h('div', { class: 'sf-listbox' });

  function go() {
    setHashQuery({ status, department_id: department });
    const q = { status: status === 'all' ? undefined : (status || UNSOLVED), department_id: department || undefined };
    const list = pagedList({
      testid: 'systemic-list',
      emptyText: status || department ? t('sy.emptyFiltered') : t('sy.empty'),
      load: (cursor) => api('GET', '/systemic-issues', null, { query: { ...q, limit: 20, cursor } }),
      item: (issue) => issueCard(issue, role, names),
    });
    listBox.replaceChildren(list.element);
  }
  go();
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), onclick: () => go() }, icon('refresh'));
  return page({ title: t('sy.title'), actions: refreshBtn, tabbar: true, wide: true, className: 'sf-page sf-listpage sy-listpage',
    body: h('div', { class: 'sf-listwrap' }, toolbar, listBox) });
}
