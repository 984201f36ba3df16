// admin/policy-panel.js — the dashboard's card of 送政策 this year (GET /stats/policies, from
// 1 January to today): the policies in force and by field, the enterprises they reach, how far
// the pairs (enterprise × policy) have come — 符合 → 已告知 → 已申报 → 已批准 → 已兑付, with the
// coverage of those told — each policy's figures (each opening its page, #/s/policies/:id), the
// amounts paid this year by field and by department, and the year's 集中兑付清单 (.xlsx, by a
// signed link). Not bound to the dashboard's period: policies run by the year.
//
// Test ids (stable, for tests/e2e):
//   policy-panel policy-panel-terms policy-panel-catalogue policy-in-force policy-enterprises
//   policy-coverage policy-paid (each figure; its value <testid>-value) policy-by-field
//   policy-field-row (data-id) policy-funnel policy-funnel-fitting policy-funnel-told
//   policy-funnel-applied policy-funnel-approved policy-funnel-paid (each step; its count
//   <testid>-value) policy-panel-policies policy-panel-row (data-id) policy-panel-more
//   policy-paid-by-field policy-paid-by-department policy-paid-row (data-key) policy-paid-empty
//   policy-payouts-year policy-payouts-download

import { h } from '../core/dom.js';
import { t, lang } from '../core/i18n.js';
import { api, download } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { loading, errorState, empty } from '../core/states.js';
import { addDays, pct, todayCN } from '../desk/dates.js';
import { table, td, btn } from './frame.js';

/** Policies listed before 展开全部. */
const SHOWN = 8;
/** Years offered for the payout list: this one and those before it. */
const YEARS = 5;

/** An amount in fen as the pages write it: 元, or 万元 from ten thousand (in English ¥ in full). */
function money(fen) {
  if (fen === null || fen === undefined) return '—';
  const yuan = fen / 100;
  const fmt = (v) => v.toLocaleString('zh-CN', { maximumFractionDigits: 2 });
  if (lang() !== 'en' && Math.abs(yuan) >= 10000) return t('pa.money.wan', { n: fmt(yuan / 10000) });
  return t('pa.money.yuan', { n: fmt(yuan) });
}

function policyHref(id) { return `#/s/policies/${encodeURIComponent(id)}`; }

function figure(testid, label, value, sub) {
  const none = value === null || value === undefined;
  return h('div', { class: 'sa-lp-fig', 'data-testid': testid },
    h('div', { class: 'sa-kpi-label' }, label),
    h('div', { class: ['sa-lp-value', none && 'is-null'], 'data-testid': `${testid}-value` }, none ? t('a.dash.noData') : value),
    sub ? h('div', { class: 'sa-kpi-sub' }, sub) : null);
}

/** A bar of `part` against `whole`, drawn by width (set through the CSSOM: no style attribute). */
function bar(part, whole) {
  const v = whole > 0 ? Math.max(0, Math.min(1, part / whole)) : 0;
  return h('span', { class: 'sa-pp-bar', 'aria-hidden': 'true' },
    h('span', { class: 'sa-pp-bar-fill', ref: (el) => { el.style.width = `${(v * 100).toFixed(1)}%`; } }));
}

/** 符合 → 已告知 → 已申报 → 已批准 → 已兑付 over every policy in force. */
function funnel(f) {
  const fitting = f.fits + f.may_fit;
  const steps = [
    { key: 'fitting', n: fitting, sub: f.may_fit ? t('pa.funnel.fittingSub', { n: f.may_fit }) : null },
    { key: 'told', n: f.told, sub: pct(f.coverage) },
    { key: 'applied', n: f.applied },
    { key: 'approved', n: f.approved, sub: f.approved_fen ? money(f.approved_fen) : null },
    { key: 'paid', n: f.paid, sub: f.paid_fen ? money(f.paid_fen) : null },
  ];
  return h('ol', { class: 'sa-pp-funnel', 'data-testid': 'policy-funnel' }, steps.map((s) => h('li', { class: 'sa-pp-step', 'data-testid': `policy-funnel-${s.key}` },
    h('span', { class: 'sa-pp-step-label' }, t(`pa.funnel.${s.key}`)),
    bar(s.n, fitting),
    h('span', { class: 'sa-pp-step-n', 'data-testid': `policy-funnel-${s.key}-value` }, String(s.n)),
    h('span', { class: 'sa-pp-step-sub muted' }, s.sub || ''))));
}

function byField(rows) {
  if (!rows.length) return h('div', { 'data-testid': 'policy-by-field' }, empty(t('pa.panel.noneInForce')));
  const most = Math.max(...rows.map((r) => r.policies));
  return h('ul', { class: 'sa-pp-fields', 'data-testid': 'policy-by-field' }, rows.map((r) => h('li', { class: 'sa-pp-field', 'data-testid': 'policy-field-row', 'data-id': r.field_id },
    h('span', { class: 'sa-pp-field-name' }, r.name),
    bar(r.policies, most),
    h('span', { class: 'sa-pp-step-n' }, String(r.policies)))));
}

/** Each policy in force: fitting, told (and the coverage), applied, approved and paid. */
function policiesTable(rows) {
  if (!rows.length) return h('div', { class: 'sa-pp-block', 'data-testid': 'policy-panel-policies' }, empty(t('pa.panel.noPolicies')));
  const tbody = h('tbody');
  let more = null;
  // On a phone the title, fitting and told (sa-opt: the rest, hidden under 600 px).
  const draw = (all) => {
    tbody.replaceChildren(...(all ? rows : rows.slice(0, SHOWN)).map((p) => h('tr', { 'data-testid': 'policy-panel-row', 'data-id': p.policy_id },
      td(h('a', { href: policyHref(p.policy_id), class: 'sa-pp-title' }, p.title), 'sa-name'),
      td(String(p.fits + p.may_fit), 'num'),
      td([String(p.told), h('span', { class: 'muted sa-pp-cov' }, pct(p.coverage) ?? '—')], 'num sa-nowrap'),
      td(String(p.applied), 'num sa-opt'),
      td(String(p.approved), 'num sa-opt'),
      td([String(p.paid), p.paid_fen ? h('div', { class: 'muted sf-small sa-nowrap' }, money(p.paid_fen)) : null], 'num sa-opt'))));
    if (more) { const next = moreButton(!all); more.replaceWith(next); more = next; }
  };
  const moreButton = (showAll) => btn(showAll ? t('pa.panel.showAll', { n: rows.length }) : t('pa.panel.showFewer'), () => draw(showAll), { testid: 'policy-panel-more' });
  if (rows.length > SHOWN) more = moreButton(true);
  draw(false);
  return h('div', { class: 'sa-pp-block' },
    table('policy-panel-policies', [t('pa.panel.policy'), { label: t('pa.funnel.fitting'), cls: 'num' }, { label: t('pa.funnel.told'), cls: 'num' },
      { label: t('pa.funnel.applied'), cls: 'num sa-opt' }, { label: t('pa.funnel.approved'), cls: 'num sa-opt' }, { label: t('pa.funnel.paid'), cls: 'num sa-opt' }], tbody),
    more ? h('div', { class: 'sa-pp-more' }, more) : null);
}

function paidTable(testid, title, label, rows) {
  return h('div', { class: 'sa-pp-paid' },
    h('h4', { class: 'sa-hot-sub' }, title),
    table(testid, [label, { label: t('pa.panel.applications'), cls: 'num' }, { label: t('pa.panel.amount'), cls: 'num' }],
      h('tbody', null, rows.map((r) => h('tr', { 'data-testid': 'policy-paid-row', 'data-key': r.key },
        td(r.name, 'sa-name'), td(String(r.applications), 'num'), td(money(r.paid_fen), 'num sa-nowrap'))))));
}

/** The year's 集中兑付清单, saved through a signed link (core/api.js download()). */
function payouts(thisYear) {
  const year = h('select', { class: 'select', 'data-testid': 'policy-payouts-year', 'aria-label': t('pa.panel.payoutsYear') },
    Array.from({ length: YEARS }, (_, i) => String(Number(thisYear) - i)).map((y) => h('option', { value: y }, y)));
  const go = async (e) => {
    const b = e.currentTarget;
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    const started = toast(t('a.dl.started'));
    try {
      await download(`/policies/payouts.xlsx?year=${encodeURIComponent(year.value)}`);
      toast(t('a.dl.done'), 'success');
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      b.disabled = false;
      b.removeAttribute('aria-busy');
      if (started && started.remove) started.remove();
    }
  };
  return h('div', { class: 'sa-pp-payouts' },
    h('div', { class: 'sa-downloads' },
      h('span', { class: 'sa-inline' }, h('label', { class: 'muted sf-small' }, t('pa.panel.payoutsYear')), year,
        btn(t('pa.panel.payouts'), go, { testid: 'policy-payouts-download', ic: 'download' }))),
    h('p', { class: 'muted sf-small sa-result' }, t('pa.panel.payoutsHint')));
}

export function policyPanel() {
  const today = todayCN();
  const year = today.slice(0, 4);
  const from = `${year}-01-01`;
  const box = h('div', null, loading());
  const card = h('section', { class: 'card sa-policy', 'data-testid': 'policy-panel' },
    h('div', { class: 'sa-card-head sa-pp-head' },
      h('div', { class: 'sa-lp-head' }, h('h3', { class: 'card-title' }, t('pa.panel.title')),
        h('div', { class: 'muted sf-small sa-lp-period' }, h('span', null, t('pa.panel.period', { year, today })))),
      h('div', { class: 'btn-row' },
        h('a', { class: 'btn btn-ghost btn-small', href: '#/a/policy-terms', 'data-testid': 'policy-panel-terms' }, t('pa.terms.nav')),
        h('a', { class: 'btn btn-ghost btn-small', href: '#/s/policies', 'data-testid': 'policy-panel-catalogue' }, t('pa.panel.catalogue')))),
    box);
  const load = async () => {
    box.replaceChildren(loading());
    try {
      const r = await api('GET', '/stats/policies', null, { query: { from, to: addDays(today, 1) } });
      const f = r.total;
      const fields = r.in_force_by_field || [];
      const inForce = fields.reduce((n, x) => n + x.policies, 0);
      const paidField = r.paid_by_field || [];
      const paidDept = r.paid_by_department || [];
      const policies = r.policies || [];
      // Nothing in force: one empty state rather than three empty sections.
      const progress = policies.length || fields.length
        ? [h('div', { class: 'sa-hot-grid sa-pp-grid' },
          h('div', null, h('h4', { class: 'sa-hot-sub' }, t('pa.panel.funnel')), funnel(f)),
          h('div', null, h('h4', { class: 'sa-hot-sub' }, t('pa.panel.byField')), byField(fields))),
        h('h4', { class: 'sa-hot-sub' }, t('pa.panel.policies')),
        policiesTable(policies)]
        : [h('div', { class: 'sa-pp-block', 'data-testid': 'policy-panel-policies' }, empty(t('pa.panel.noneInForce')))];
      box.replaceChildren(
        h('div', { class: 'sa-lp-figs' },
          figure('policy-in-force', t('pa.panel.inForce'), String(inForce), t('pa.panel.inForceSub', { n: fields.length })),
          figure('policy-enterprises', t('pa.panel.enterprises'), String(r.enterprises_fitting), t('pa.panel.enterprisesSub')),
          figure('policy-coverage', t('pa.panel.coverage'), pct(f.coverage), t('pa.panel.coverageSub', { a: f.told, b: f.fits + f.may_fit })),
          figure('policy-paid', t('pa.panel.paidYear'), money(r.paid.paid_fen), t('pa.panel.paidSub', { n: r.paid.applications }))),
        ...progress,
        r.paid.applications
          ? h('div', { class: 'sa-hot-grid sa-pp-grid' },
            paidTable('policy-paid-by-field', t('pa.panel.paidByField'), t('pa.panel.field'), paidField),
            paidTable('policy-paid-by-department', t('pa.panel.paidByDepartment'), t('pa.panel.department'), paidDept))
          : h('p', { class: 'muted sf-small sa-pp-nopaid', 'data-testid': 'policy-paid-empty' }, t('pa.panel.noPaid')),
        payouts(year));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    }
  };
  load();
  return card;
}
