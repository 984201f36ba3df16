// staff/policies.js — the policy catalogue of the desks (#/s/policies?q=&status=&field_id=
// &department_id=&free_grant=1: cadres, dispatchers, administrators): every policy the reader may
// see — published and withdrawn ones, and drafts (a cadre their department's) — newest first, or
// the best matches of a search; each with its status, 免申即享, field, issuing department and
// benefit. 新建政策 for administrators and cadres (who draft), 申报审核 for everyone.
//
// Test ids (stable, for tests/e2e):
//   policy-list policy-item (data-id, data-status) policy-item-title policy-item-benefit
//   policy-search policy-search-submit policy-filter-status policy-filter-field
//   policy-filter-department policy-filter-free policy-new policy-to-applications
//   (and policy-status policy-free-tag: staff/policy-common.js; load-more list-end: desk/paged-list.js)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { session } from '../core/session.js';
import { page } from '../core/layout.js';
import { fmtDate } from '../core/format.js';
import { directory, nameMap, deptSelectOptions } from '../desk/directory.js';
import { pagedList, setHashQuery } from '../desk/paged-list.js';
import {
  POLICY_STATUSES, policyTerms, policyHref, policyStatusTag, freeGrantTag, benefitHeadline,
} from './policy-common.js';

function policyCard(p, fields, depts) {
  const dates = [];
  if (p.status === 'draft') dates.push(t('ps.updated', { time: fmtDate(p.updated_at) }));
  else if (p.published_at) dates.push(t('ps.publishedOn', { day: fmtDate(p.published_at) }));
  if (p.status !== 'withdrawn') dates.push(p.expires_on ? t('ps.expiresOn', { day: p.expires_on }) : t('ps.noExpiry'));
  return h('a', { class: ['list-item', 'sf-card', 'ps-card'], href: policyHref(p.id), 'data-testid': 'policy-item', 'data-id': p.id, 'data-status': p.status },
    h('div', { class: 'ti-head' },
      h('div', { class: 'ti-title', 'data-testid': 'policy-item-title' }, p.title),
      policyStatusTag(p)),
    h('div', { class: 'ti-meta muted' },
      p.free_grant ? freeGrantTag() : null,
      h('span', { class: 'ps-field' }, fields.get(p.field_id) || '—'),
      h('span', { class: 'ps-dept' }, depts.get(p.department_id) || '—'),
      p.document_number ? h('span', { class: 'ps-docno' }, p.document_number) : null),
    h('div', { class: 'ps-benefit', 'data-testid': 'policy-item-benefit' },
      p.benefit && p.benefit.kind !== 'other' ? h('strong', null, benefitHeadline(p.benefit)) : null,
      p.benefit && p.benefit.description ? h('span', { class: 'muted' }, p.benefit.description) : null),
    h('div', { class: 'ti-foot' }, h('span', { class: 'muted sf-small' }, dates.join(' · '))));
}

export async function policiesPage({ query }) {
  const role = session.role();
  let q = (query.q || '').slice(0, 100);
  let status = POLICY_STATUSES.includes(query.status) ? query.status : '';
  let field = query.field_id || '';
  let department = query.department_id || '';
  let freeOnly = query.free_grant === '1';
  const [depts, terms] = await Promise.all([directory.departments().catch(() => []), policyTerms().catch(() => [])]);
  const deptNames = nameMap(depts);
  const fieldTerms = terms.filter((x) => x.kind === 'field');
  const fieldNames = nameMap(fieldTerms);

  const search = h('input', { type: 'search', class: 'input', value: q, maxlength: '100', placeholder: t('ps.search'), 'aria-label': t('ps.search'), 'data-testid': 'policy-search', enterkeyhint: 'search' });
  const searchForm = h('form', { class: 'sf-search', role: 'search', onsubmit: (e) => { e.preventDefault(); q = search.value.trim(); go(); } },
    icon('search'), search,
    h('button', { type: 'submit', class: 'sr-only', 'data-testid': 'policy-search-submit' }, t('ps.searchBtn')));
  search.addEventListener('search', () => { if (!search.value && q) { q = ''; go(); } });
  const statusSel = h('select', { class: 'select', 'data-testid': 'policy-filter-status', 'aria-label': t('ps.filter.status'),
    onchange: (e) => { status = e.target.value; go(); } },
  h('option', { value: '', selected: !status }, t('ps.filter.allStatuses')),
  POLICY_STATUSES.map((s) => h('option', { value: s, selected: status === s }, t(`ps.status.${s}`))));
  const fieldSel = h('select', { class: 'select', 'data-testid': 'policy-filter-field', 'aria-label': t('ps.filter.field'),
    onchange: (e) => { field = e.target.value; go(); } },
  h('option', { value: '' }, t('ps.filter.allFields')),
  fieldTerms.filter((x) => x.active || x.id === field).map((x) => h('option', { value: x.id, selected: x.id === field }, x.name)));
  const deptSel = h('select', { class: 'select', 'data-testid': 'policy-filter-department', 'aria-label': t('ps.filter.department'),
    onchange: (e) => { department = e.target.value; go(); } },
  deptSelectOptions(depts, { selected: department, placeholder: t('ps.filter.allDepartments') }));
  const freeBox = h('label', { class: 'sf-check ps-free-filter' },
    h('input', { type: 'checkbox', checked: freeOnly, 'data-testid': 'policy-filter-free', onchange: (e) => { freeOnly = e.target.checked; go(); } }),
    h('span', null, t('ps.filter.freeGrant')));
  // Administrators draft for any department, cadres for their own; dispatchers read.
  const newBtn = role === 'admin' || role === 'cadre'
    ? h('a', { class: 'btn btn-primary btn-small', href: '#/s/policies/new', 'data-testid': 'policy-new' }, icon('plus'), t('ps.new')) : null;
  const appsBtn = h('a', { class: 'btn btn-ghost btn-small', href: '#/s/applications', 'data-testid': 'policy-to-applications' }, icon('list'), t('ps.applications'));
  const toolbar = h('div', { class: 'ps-toolbar' },
    h('div', { class: 'toolbar sf-toolbar ps-toolbar-top' }, searchForm, h('div', { class: 'ps-toolbar-btns' }, appsBtn, newBtn)),
    h('div', { class: 'toolbar sf-toolbar ps-filters' }, statusSel, fieldSel, deptSel, freeBox));
  const listBox = h('div', { class: 'sf-listbox' });

  function go() {
    setHashQuery({ q, status, field_id: field, department_id: department, free_grant: freeOnly ? '1' : '' });
    const filters = {
      q: q || undefined,
      status: status || POLICY_STATUSES.join(','),
      field_id: field || undefined,
      department_id: department || undefined,
      free_grant: freeOnly ? 'true' : undefined,
    };
    const filtered = q || status || field || department || freeOnly;
    const list = pagedList({
      testid: 'policy-list',
      emptyText: filtered ? t('ps.emptyFiltered') : t('ps.empty'),
      load: (cursor) => api('GET', '/policies', null, { query: { ...filters, limit: 20, cursor } }),
      item: (p) => policyCard(p, fieldNames, deptNames),
    });
    listBox.replaceChildren(list.element);
  }
  go();
  const refreshBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': t('s.refresh'), title: t('s.refresh'), onclick: () => go() }, icon('refresh'));
  return page({ title: t('ps.title'), actions: refreshBtn, tabbar: true, wide: true, className: 'sf-page sf-listpage ps-listpage',
    body: h('div', { class: 'sf-listwrap' }, toolbar, listBox) });
}
