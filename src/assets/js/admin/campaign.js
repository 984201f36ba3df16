// admin/campaign.js — one campaign's progress (#/a/campaigns/:id, GET /campaigns/{id}), counted
// by the server when read: its title, period, scope and target, its state and days left, the
// coverage against the target (达标 / 未达标), the totals (覆盖率, 已走访/联点企业, 走访次数,
// 人均走访, 收集诉求, 次均诉求), the figures by department, area and industry chain (the lowest
// coverage first), and the paired enterprises not yet visited; 刷新 reads it again.
//
// Test ids (stable, for tests/e2e):
//   campaign-page campaign-heading campaign-state campaign-days campaign-met campaign-refresh
//   camp-coverage camp-visited camp-visits camp-per-cadre camp-requests camp-per-visit (each card;
//   its value <testid>-value) campaign-by-department campaign-by-area campaign-by-chain
//   campaign-not-visited campaign-not-visited-count (and liaison-figures.js's row ids)

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { loading, errorState } from '../core/states.js';
import { pct } from '../desk/dates.js';
import { btn, adminPage } from './frame.js';
import { stateTag, scopeText } from './campaigns.js';
import { ratio, figuresTable, notVisitedTable, coverageBar } from './liaison-figures.js';

function card(testid, label, value, sub, main) {
  const none = value === null || value === undefined;
  return h('div', { class: ['sa-kpi', main && 'is-main'], 'data-testid': testid },
    h('div', { class: 'sa-kpi-label' }, label),
    h('div', { class: ['sa-kpi-value', none && 'is-null'], 'data-testid': `${testid}-value` }, none ? t('a.dash.noData') : value),
    sub ? h('div', { class: 'sa-kpi-sub' }, sub) : null);
}

/** The six totals, as the dashboard's cards. */
export function totalsCards(f, prefix) {
  return h('div', { class: 'sa-kpis sa-kpis-6' },
    card(`${prefix}-coverage`, t('a.lf.coverage'), pct(f.coverage), t('a.lf.coverageSub'), true),
    card(`${prefix}-visited`, t('a.lf.visitedPaired'), `${f.visited}/${f.paired}`, t('a.lf.visitedSub')),
    card(`${prefix}-visits`, t('a.lf.visits'), String(f.visits), t('a.lf.visitsSub', { n: f.visiting_cadres })),
    card(`${prefix}-per-cadre`, t('a.lf.perCadre'), ratio(f.visits_per_cadre), t('a.lf.perCadreSub', { n: f.cadres })),
    card(`${prefix}-requests`, t('a.lf.requests'), String(f.requests), t('a.lf.requestsSub')),
    card(`${prefix}-per-visit`, t('a.lf.perVisit'), ratio(f.requests_per_visit), t('a.lf.perVisitSub')));
}

function summary(p, refresh) {
  const c = p.campaign;
  const days = p.state === 'running' ? t('a.camp.daysLeft', { n: p.days_left })
    : p.state === 'upcoming' ? t('a.camp.notStarted') : t('a.camp.endedOn', { d: c.ends_on });
  return h('section', { class: 'card sa-camp-head' },
    h('div', { class: 'sa-card-head' },
      h('h2', { class: 'sa-camp-title', 'data-testid': 'campaign-heading' }, c.title),
      h('div', { class: 'sa-inline' }, stateTag(p.state), refresh)),
    h('p', { class: 'sa-camp-meta' },
      h('span', null, t('a.camp.periodText', { from: c.starts_on, to: c.ends_on })),
      h('span', null, t('a.camp.scope'), '：', scopeText(c)),
      h('span', null, t('a.camp.target'), '：', `${c.target_percent}%`),
      h('span', { 'data-testid': 'campaign-days' }, days),
      p.counted_to ? h('span', { class: 'muted' }, t('a.camp.countedTo', { d: p.counted_to })) : null),
    c.note ? h('p', { class: 'muted sf-small sa-camp-note' }, c.note) : null,
    h('div', { class: 'sa-camp-progress' },
      h('div', { class: 'sa-camp-progress-line' },
        h('strong', null, t('a.lf.coverage'), ' ', pct(p.totals.coverage) ?? t('a.dash.noData')),
        h('span', { class: 'muted' }, ` / ${t('a.camp.target')} ${c.target_percent}%`),
        h('span', { class: ['tag', p.met ? 'tag-camp-met' : 'tag-camp-short'], 'data-testid': 'campaign-met', 'data-met': String(p.met) },
          p.met ? t('a.camp.met') : t('a.camp.notMet'))),
      coverageBar(p.totals.coverage, c.target_percent, p.met)));
}

function section(title, node, extra) {
  return h('section', { class: 'card' }, h('div', { class: 'sa-card-head' }, h('h3', { class: 'card-title' }, title), extra || null), node);
}

export function campaignPage(params) {
  const id = params.id;
  const box = h('div', { 'data-testid': 'campaign-page' }, loading());
  const refresh = btn(t('a.camp.refresh'), () => load(), { testid: 'campaign-refresh', ic: 'refresh' });
  let seq = 0;
  async function load() {
    const my = ++seq;
    refresh.disabled = true;
    try {
      const p = await api('GET', `/campaigns/${encodeURIComponent(id)}`);
      if (my !== seq) return;
      box.replaceChildren(
        summary(p, refresh),
        totalsCards(p.totals, 'camp'),
        h('div', { class: 'sa-camp-tables' },
          section(t('a.lf.byDepartment'), figuresTable('campaign-by-department', p.by_department || [], { label: t('a.lf.department') })),
          section(t('a.lf.byArea'), figuresTable('campaign-by-area', p.by_area || [], { label: t('a.ent.area') })),
          section(t('a.lf.byChain'), figuresTable('campaign-by-chain', p.by_industry_chain || [], { label: t('a.ent.chain') }))),
        section(t('a.lf.notVisited'), notVisitedTable('campaign-not-visited', p.not_visited || [], p.not_visited_total ?? 0),
          h('span', { class: 'muted sf-small', 'data-testid': 'campaign-not-visited-count' }, t('a.lf.notVisitedCount', { n: p.not_visited_total ?? 0 }))));
    } catch (err) {
      if (my !== seq) return;
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    } finally {
      if (my === seq) refresh.disabled = false;
    }
  }
  load();
  return adminPage(t('a.camp.progressTitle'), box, { back: '#/a/campaigns' });
}
