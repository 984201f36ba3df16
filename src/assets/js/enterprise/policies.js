// enterprise/policies.js — 惠企政策 (#/e/policies?tab=recommend|all|mine&q=…&field=…): 为您推荐
// (the policies the enterprise fits, then those it may fit, with what is unknown), the
// catalogue searched and filtered by field (each row marked 符合 / 可能符合 when it is among the
// recommendations), and 我的申报 (its applications; #/e/applications leads here).
//
// Test ids (stable, for tests/e2e):
//   policies-tab-recommend policies-tab-all policies-tab-mine policies-search policies-field
//   (data-value, aria-pressed) policies-list policies-more policies-profile-hint
//   policies-browse applications-list application-item (data-id, data-status)
//   application-item-title application-status; policy-item… (policy-shared.js)

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { qs } from '../core/store.js';
import { api } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { loading, empty, errorState } from '../core/states.js';
import { tabs } from '../core/controls.js';
import { fmtDate } from '../core/format.js';
import { departments } from './tickets.js';
import { policyItem, policyTerms, appStatusTag, fmtMoney } from './policy-shared.js';

const TABS = ['recommend', 'all', 'mine'];

/** The enterprise's recommendations ({items}), by policy id. */
async function recommendations() {
  const r = await api('GET', '/me/policies');
  return r.items || [];
}

function hashOf(tab, q, field) {
  return `#/e/policies${qs({ tab: tab === 'recommend' ? null : tab, q: q || null, field: field || null })}`;
}

function recommendBox() {
  const box = h('div', { class: 'list', 'data-testid': 'policies-list' }, loading());
  const manager = !!(session.user() || {}).enterprise_manager;
  const load = () => {
    box.replaceChildren(loading());
    Promise.all([recommendations(), departments()]).then(([items, depts]) => {
      if (!items.length) {
        box.replaceChildren(empty(t('ep.recommendNone'),
          h('div', { class: 'btn-row ep-empty-actions' },
            h('a', { class: 'btn btn-primary btn-small', href: hashOf('all'), 'data-testid': 'policies-browse' }, t('ep.browse')),
            manager ? h('a', { class: 'btn btn-ghost btn-small', href: '#/e/profile' }, t('ep.profileLink')) : null)));
        return;
      }
      const mayFit = items.some((r) => r.fit === 'may_fit');
      box.replaceChildren(
        mayFit ? h('div', { class: 'notice notice-info ep-hint', 'data-testid': 'policies-profile-hint' },
          h('span', null, t('ep.profileHint')),
          manager ? h('a', { class: 'btn btn-ghost btn-small', href: '#/e/profile' }, t('ep.profileLink')) : null) : null,
        ...items.map((r) => policyItem(r.policy, r, depts.get(r.policy.department_id) || null)));
    }, (err) => box.replaceChildren(errorState(err, load)));
  };
  load();
  return box;
}

function catalogueBox(q, field) {
  const listBox = h('div', { class: 'list', 'data-testid': 'policies-list' }, loading());
  const more = h('button', { type: 'button', class: 'btn btn-ghost btn-block hidden', 'data-testid': 'policies-more' }, t('common.more'));
  let cursor = null;
  // The standing of those among the recommendations (the rest do not fit, or are not judged).
  const standings = recommendations().then((items) => new Map(items.map((r) => [r.policy.id, r])), () => new Map());
  const meta = (p, terms, depts) => [terms.name(p.field_id), depts.get(p.department_id)].filter(Boolean).join(' · ') || null;

  const load = async (append) => {
    if (!append) listBox.replaceChildren(loading());
    more.disabled = true;
    try {
      const [r, known, terms, depts] = await Promise.all([
        api('GET', '/policies', null, { query: { q: q || null, field_id: field || null, limit: 20, cursor: append ? cursor : null } }),
        standings, policyTerms(), departments(),
      ]);
      const items = r.items || [];
      if (!append) listBox.replaceChildren();
      if (!append && !items.length) listBox.appendChild(empty(q || field ? t('ep.noneFound') : t('ep.none')));
      for (const p of items) listBox.appendChild(policyItem(p, known.get(p.id) || null, meta(p, terms, depts)));
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
  load(false);

  const search = h('input', { class: 'input search-input', type: 'search', name: 'q', value: q, placeholder: t('ep.search'), maxlength: '100',
    'aria-label': t('ep.search'), 'data-testid': 'policies-search', enterkeyhint: 'search' });
  const searchForm = h('form', { class: 'searchbar', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    navigate(hashOf('all', search.value.trim(), field));
  } }, icon('search'), search);

  // The fields as chips: 全部领域, 工业, 科技…
  const chips = h('div', { class: 'ep-chips', role: 'group', 'aria-label': t('ep.fieldFilter') });
  const chip = (value, label) => h('button', { type: 'button', class: ['ep-chip', (field || '') === value && 'active'],
    'aria-pressed': (field || '') === value ? 'true' : 'false', 'data-testid': 'policies-field', 'data-value': value,
    onclick: () => navigate(hashOf('all', q, value)) }, label);
  chips.append(chip('', t('ep.field.all')));
  policyTerms().then((terms) => {
    const shown = terms.fields.filter((f) => f.active || f.id === field);
    chips.append(...shown.map((f) => chip(f.id, f.name)));
  });

  return { head: [searchForm, chips], body: [listBox, more] };
}

function applicationItem(a) {
  const amounts = [
    a.requested_fen !== null && a.requested_fen !== undefined ? t('ep.apps.requestedLine', { amount: fmtMoney(a.requested_fen) }) : null,
    a.approved_fen !== null && a.approved_fen !== undefined ? t('ep.apps.approvedLine', { amount: fmtMoney(a.approved_fen) }) : null,
    a.paid_fen !== null && a.paid_fen !== undefined ? t('ep.apps.paidLine', { amount: fmtMoney(a.paid_fen) }) : null,
  ].filter(Boolean);
  return h('a', { class: 'list-item', href: `#/e/applications/${encodeURIComponent(a.id)}`, 'data-testid': 'application-item', 'data-id': a.id, 'data-status': a.status },
    h('div', { class: 'ti-head' },
      h('span', { class: 'ti-title', 'data-testid': 'application-item-title' }, a.policy_title || ''),
      appStatusTag(a.status, 'application-status')),
    h('div', { class: 'ti-meta muted' },
      h('span', null, t(`ep.apps.channel.${a.channel}`)),
      h('span', null, fmtDate(a.created_at)),
      amounts.length ? h('span', null, amounts.join(' · ')) : null));
}

function applicationsBox() {
  const listBox = h('div', { class: 'list', 'data-testid': 'applications-list' }, loading());
  const more = h('button', { type: 'button', class: 'btn btn-ghost btn-block hidden', 'data-testid': 'policies-more' }, t('common.more'));
  let cursor = null;
  const load = async (append) => {
    if (!append) listBox.replaceChildren(loading());
    more.disabled = true;
    try {
      const r = await api('GET', '/policy-applications', null, { query: { limit: 20, cursor: append ? cursor : null } });
      const items = r.items || [];
      if (!append) listBox.replaceChildren();
      if (!append && !items.length) {
        listBox.appendChild(empty(t('ep.apps.none'), h('a', { class: 'btn btn-primary btn-small', href: hashOf('recommend'), 'data-testid': 'policies-browse' }, t('ep.recommend'))));
      }
      for (const a of items) listBox.appendChild(applicationItem(a));
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
  load(false);
  return [listBox, more];
}

export function policiesPage(params, query) {
  const tab = TABS.includes(query.tab) ? query.tab : 'recommend';
  const q = (query.q || '').trim();
  const field = query.field || '';
  const bar = tabs([
    { value: 'recommend', label: t('ep.tab.recommend'), testid: 'policies-tab-recommend' },
    { value: 'all', label: t('ep.tab.all'), testid: 'policies-tab-all' },
    { value: 'mine', label: t('ep.tab.mine'), testid: 'policies-tab-mine' },
  ], tab, (v) => navigate(hashOf(v, v === 'all' ? q : null, v === 'all' ? field : null)));
  let head = [bar];
  let body;
  if (tab === 'all') {
    const c = catalogueBox(q, field);
    head = [bar, ...c.head];
    body = c.body;
  } else if (tab === 'mine') {
    body = applicationsBox();
  } else {
    body = [recommendBox()];
  }
  return page({ title: t('ep.title'), tabbar: true, body: h('div', { class: 'tickets ep-policies' }, h('div', { class: 'sticky-top' }, head), body) });
}

/** #/e/applications: 我的申报, as the tab of the policies' page. */
export function applicationsPage() {
  setTimeout(() => navigate(hashOf('mine'), { replace: true }), 0);
  return loading();
}
