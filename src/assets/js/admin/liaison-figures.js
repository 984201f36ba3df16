// admin/liaison-figures.js — the liaison program's figures as the administrator's pages show them
// (GET /stats/liaison, a campaign's progress): ratio(v) (one decimal, null for none), the
// figures' table by department, area or industry chain (figuresTable), the enterprises not yet
// visited (notVisitedTable) and the coverage bar against a target (coverageBar).
//
// Test ids (stable, for tests/e2e):
//   <testid> (the table) liaison-row (data-key) coverage-bar coverage-bar-fill not-visited-row (data-id)

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { empty } from '../core/states.js';
import { pct } from '../desk/dates.js';
import { table, td } from './frame.js';

/** A ratio with one decimal ('1.5'); null for none. */
export function ratio(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return null;
  return (Math.round(v * 10) / 10).toFixed(1);
}

const dash = (v) => v ?? '—';

/** The rows of one breakdown (the lowest coverage first, as the API sends them), at most `limit`. */
export function figuresTable(testid, rows, { label, limit } = {}) {
  const shown = limit ? rows.slice(0, limit) : rows;
  if (!shown.length) return h('div', { 'data-testid': testid }, empty(t('a.lf.noRows')));
  // On a phone the name, coverage and visited/paired (sa-opt: the rest, hidden under 600 px).
  return table(testid, [label, { label: t('a.lf.coverage'), cls: 'num' }, { label: t('a.lf.visitedPaired'), cls: 'num' },
    { label: t('a.lf.visits'), cls: 'num sa-opt' }, { label: t('a.lf.perCadre'), cls: 'num sa-opt' }, { label: t('a.lf.requests'), cls: 'num sa-opt' }, { label: t('a.lf.perVisit'), cls: 'num sa-opt' }],
  h('tbody', null, shown.map((r) => h('tr', { 'data-testid': 'liaison-row', 'data-key': r.key ?? '' },
    td(r.key === null || r.key === undefined ? h('span', { class: 'muted' }, r.name || t('a.lf.unset')) : r.name, 'sa-name sa-lf-name'),
    td(h('span', { class: ['sa-cov', r.coverage === null || r.coverage === undefined ? 'is-null' : r.coverage < 0.5 && 'is-low'] }, dash(pct(r.coverage))), 'num'),
    td(`${r.visited}/${r.paired}`, 'num sa-nowrap'),
    td(String(r.visits), 'num sa-opt'),
    td(dash(ratio(r.visits_per_cadre)), 'num sa-opt'),
    td(String(r.requests), 'num sa-opt'),
    td(dash(ratio(r.requests_per_visit)), 'num sa-opt')))));
}

/** The paired enterprises not visited, with their liaison cadre and department. */
export function notVisitedTable(testid, items, total) {
  if (!items.length) return h('div', { 'data-testid': testid }, empty(t('a.lf.allVisited')));
  return h('div', null,
    // On a phone the department goes under the liaison cadre (its column hidden).
    table(testid, [t('a.ent.name'), t('a.ent.liaison'), { label: t('a.lf.department'), cls: 'sa-opt' }],
      h('tbody', null, items.map((x) => h('tr', { 'data-testid': 'not-visited-row', 'data-id': x.id },
        td(h('a', { href: `#/c/enterprises/${encodeURIComponent(x.id)}` }, x.name), 'sa-name'),
        td([h('span', { class: 'sa-nowrap' }, x.liaison_name || '—'), h('div', { class: 'muted sf-small sa-phone-only' }, x.department_name || '—')]),
        td(x.department_name || '—', 'sa-opt'))))),
    total > items.length ? h('p', { class: 'muted sf-small sa-result' }, t('a.lf.moreNotVisited', { n: items.length, total })) : null);
}

/** Coverage against a target percentage: a bar with a mark at the target. */
export function coverageBar(coverage, targetPercent, met) {
  const v = coverage === null || coverage === undefined ? 0 : Math.max(0, Math.min(1, coverage));
  return h('div', { class: ['sa-covbar', met ? 'is-met' : 'is-short'], 'data-testid': 'coverage-bar', role: 'progressbar',
    'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(v * 100)), 'aria-label': t('a.lf.coverage') },
  h('div', { class: 'sa-covbar-fill', 'data-testid': 'coverage-bar-fill', ref: (el) => { el.style.width = `${(v * 100).toFixed(1)}%`; } }),
  h('div', { class: 'sa-covbar-target', title: t('a.camp.target'), ref: (el) => { el.style.left = `${Math.max(0, Math.min(100, targetPercent))}%`; } }));
}
