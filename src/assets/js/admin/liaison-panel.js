// admin/liaison-panel.js — the dashboard's card of the liaison program (联点走访, 千名干部进千企)
// this month so far (GET /stats/liaison, from the month's first day to today): coverage, visits,
// visits per cadre and requests per visit, and the five departments with the lowest coverage;
// 专项行动 opens the campaigns. Not bound to the dashboard's period: it is the month's drive.
//
// Test ids (stable, for tests/e2e):
//   liaison-panel liaison-panel-campaigns liaison-coverage liaison-visits liaison-per-cadre
//   liaison-per-visit (each figure; its value <testid>-value) liaison-panel-departments (and
//   liaison-figures.js's liaison-row)

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { loading, errorState } from '../core/states.js';
import { addDays, pct, todayCN } from '../desk/dates.js';
import { ratio, figuresTable } from './liaison-figures.js';

/** Departments shown (the lowest coverage first). */
const SHOWN = 5;

function figure(testid, label, value, sub) {
  const none = value === null || value === undefined;
  return h('div', { class: 'sa-lp-fig', 'data-testid': testid },
    h('div', { class: 'sa-kpi-label' }, label),
    h('div', { class: ['sa-lp-value', none && 'is-null'], 'data-testid': `${testid}-value` }, none ? t('a.dash.noData') : value),
    sub ? h('div', { class: 'sa-kpi-sub' }, sub) : null);
}

export function liaisonPanel() {
  const today = todayCN();
  const from = `${today.slice(0, 7)}-01`;
  const box = h('div', null, loading());
  const card = h('section', { class: 'card sa-liaison', 'data-testid': 'liaison-panel' },
    h('div', { class: 'sa-card-head' },
      h('div', { class: 'sa-lp-head' }, h('h3', { class: 'card-title' }, t('a.lp.title')), h('div', { class: 'muted sf-small sa-lp-period' }, h('span', null, t('a.lp.slogan')), h('span', null, t('a.lp.period', { from, to: today })))),
      h('a', { class: 'btn btn-ghost btn-small', href: '#/a/campaigns', 'data-testid': 'liaison-panel-campaigns' }, t('a.camp.pageTitle'))),
    box);
  const load = async () => {
    box.replaceChildren(loading());
    try {
      const r = await api('GET', '/stats/liaison', null, { query: { from, to: addDays(today, 1), by: 'department' } });
      const f = r.totals;
      box.replaceChildren(
        h('div', { class: 'sa-lp-figs' },
          figure('liaison-coverage', t('a.lf.coverage'), pct(f.coverage), t('a.lp.coverageSub', { a: f.visited, b: f.paired })),
          figure('liaison-visits', t('a.lf.visits'), String(f.visits), t('a.lf.visitsSub', { n: f.visiting_cadres })),
          figure('liaison-per-cadre', t('a.lf.perCadre'), ratio(f.visits_per_cadre), t('a.lf.perCadreSub', { n: f.cadres })),
          figure('liaison-per-visit', t('a.lf.perVisit'), ratio(f.requests_per_visit), t('a.lp.requests', { n: f.requests }))),
        h('h4', { class: 'sa-hot-sub' }, t('a.lp.lowest')),
        figuresTable('liaison-panel-departments', r.rows || [], { label: t('a.lf.department'), limit: SHOWN }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    }
  };
  load();
  return card;
}
