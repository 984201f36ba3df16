// admin/dashboard.js — the dashboard (#/a?from=YYYY-MM-DD&to=YYYY-MM-DD&interval=day|week|month;
// `to` inclusive on the page): the period, the KPI cards, the server's SVG charts, the red and
// black lists (红黑榜), the hot topics (热点诉求, hot-topics-panel.js, and their chart), this
// month's liaison visits (联点走访, liaison-panel.js), this year's business-support policies
// (送政策, policy-panel.js), the open systemic issues (症结,
// systemic-panel.js), the ledger and monthly assessment downloads and the archive of published
// assessments (每月评估, assessment-archive.js).
//
// Test ids (stable, for tests/e2e):
//   date-from date-to range-this-month range-last-month range-this-year
//   period-error chart-interval kpi-filed kpi-accepted kpi-resolved kpi-resolution kpi-on-time
//   kpi-satisfaction kpi-revisit kpi-reopen kpi-sign-on-time kpi-adoption kpi-overdue
//   kpi-handling-days (each card; its value <testid>-value) chart-trend chart-departments
//   chart-categories chart-satisfaction chart-hot-topics ranking-best ranking-worst ranking-row ranking-unranked download-ledger
//   download-ledger-csv assessment-month download-assessment

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { download, blobUrl, api } from '../core/api.js';
import { ApiError, errorMessage } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { loading, errorState, empty } from '../core/states.js';
import { setHashQuery } from '../desk/paged-list.js';
import { addDays, pct, todayCN, validYmd } from '../desk/dates.js';
import { table, td, btn, adminPage } from './frame.js';
import { systemicPanel } from './systemic-panel.js';
import { liaisonPanel } from './liaison-panel.js';
import { policyPanel } from './policy-panel.js';
import { hotTopicsPanel } from './hot-topics-panel.js';
import { assessmentArchive } from './assessment-archive.js';

function monthStart(ymd) { return `${ymd.slice(0, 7)}-01`; }
function monthEnd(ymd) { const [y, m] = ymd.split('-').map(Number); return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10); }
function lastMonthOf(ymd) { return addDays(monthStart(ymd), -1); }
function kpiCard(testid, label, value, sub, { main, bad } = {}) {
  const isNull = value === null || value === undefined;
  return h('div', { class: ['sa-kpi', main && 'is-main', bad && 'is-bad'], 'data-testid': testid },
    h('div', { class: 'sa-kpi-label' }, label),
    h('div', { class: ['sa-kpi-value', isNull && 'is-null'], 'data-testid': `${testid}-value` }, isNull ? t('a.dash.noData') : value),
    sub ? h('div', { class: 'sa-kpi-sub' }, sub) : null);
}

function kpis(s) {
  const k = s.filed_by_kind || {};
  const num = (v) => (v === null || v === undefined ? null : String(v));
  const days = (v) => (v === null || v === undefined ? null : (Math.round(v * 10) / 10).toString());
  return h('div', { class: 'sa-kpis' },
    kpiCard('kpi-filed', t('a.kpi.filed'), num(s.filed), t('a.kpi.filedSub', { p: k.problem ?? 0, s: k.suggestion ?? 0, i: k.inquiry ?? 0 })),
    kpiCard('kpi-resolution', t('a.kpi.resolution'), pct(s.resolution_rate), t('a.kpi.resolutionSub', { a: s.resolved, b: s.accepted }), { main: true }),
    kpiCard('kpi-on-time', t('a.kpi.onTime'), pct(s.on_time_rate), t('a.kpi.onTimeSub', { a: s.on_time, b: s.resolved_with_deadline }), { main: true }),
    kpiCard('kpi-satisfaction', t('a.kpi.satisfaction'), pct(s.satisfaction_rate), t('a.kpi.satisfactionSub', { a: s.satisfied, b: s.basically_satisfied, c: s.rated }), { main: true }),
    kpiCard('kpi-revisit', t('a.kpi.revisit'), pct(s.revisit_rate), t('a.kpi.revisitSub', { a: s.rated, b: s.resolved })),
    kpiCard('kpi-reopen', t('a.kpi.reopen'), pct(s.reopen_rate), t('a.kpi.reopenSub', { a: s.reopened, b: s.resolved })),
    kpiCard('kpi-accepted', t('a.kpi.accepted'), num(s.accepted), t('a.kpi.acceptedSub')),
    kpiCard('kpi-resolved', t('a.kpi.resolved'), num(s.resolved), t('a.kpi.resolvedSub')),
    kpiCard('kpi-overdue', t('a.kpi.overdue'), num(s.overdue_open), t('a.kpi.overdueSub'), { bad: s.overdue_open > 0 }),
    kpiCard('kpi-sign-on-time', t('a.kpi.signOnTime'), pct(s.sign_on_time_rate), t('a.kpi.signOnTimeSub', { a: s.signed_on_time, b: s.signed_with_deadline })),
    kpiCard('kpi-adoption', t('a.kpi.adoption'), pct(s.adoption_rate), t('a.kpi.adoptionSub', { a: s.suggestions_adopted, b: s.suggestions })),
    kpiCard('kpi-handling-days', t('a.kpi.handling'), days(s.handling_days_mean), s.handling_days_median === null || s.handling_days_median === undefined ? null : t('a.kpi.handlingSub', { m: days(s.handling_days_median) })));
}

function chartCard(name, title, query) {
  const box = h('div', { class: 'sa-chart', 'data-testid': `chart-${name}` }, loading());
  const load = () => {
    box.replaceChildren(loading());
    blobUrl(`/stats/charts/${name}.svg${qsOf(query)}`).then((u) => {
      box.replaceChildren(h('img', { src: u, alt: title, class: 'chart' }));
    }, (err) => {
      if (err instanceof ApiError && err.status === 401) return;
      box.replaceChildren(errorState(err, load));
    });
  };
  load();
  return h('section', { class: 'card' }, h('h3', { class: 'card-title' }, title), box);
}

function qsOf(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

function rankTable(testid, rows, cls, title, ranked) {
  const rate = (v) => pct(v) ?? t('a.dash.noData');
  return h('section', { class: ['card', cls] },
    h('h3', { class: 'card-title' }, title),
    rows.length ? table(testid, [t('a.rank.no'), t('a.rank.dept'), { label: t('a.rank.score'), cls: 'num' }, { label: t('a.rank.filed'), cls: 'num' },
      { label: t('a.kpi.resolution'), cls: 'num' }, { label: t('a.kpi.onTime'), cls: 'num' }, { label: t('a.kpi.satisfaction'), cls: 'num' }],
    h('tbody', null, rows.map((r) => h('tr', { 'data-testid': 'ranking-row', 'data-id': r.department_id },
      td(h('span', { class: 'sa-rankno' }, String(r.rank))),
      td(r.name, 'sa-name'),
      td(r.score === null || r.score === undefined ? t('a.dash.noData') : (Math.round(r.score * 1000) / 10).toFixed(1), 'num'),
      td(String(r.filed ?? 0), 'num'),
      td(rate(r.resolution_rate), 'num'), td(rate(r.on_time_rate), 'num'), td(rate(r.satisfaction_rate), 'num')))))
      : h('div', { 'data-testid': testid }, empty(ranked ? t('a.rank.tooFew', { n: ranked }) : t('a.rank.empty'))));
}

export async function dashboardPage(params, query) {
  const today = todayCN();
  let from = validYmd(query.from) ? query.from : monthStart(today);
  let to = validYmd(query.to) ? query.to : monthEnd(today);
  let interval = ['day', 'week', 'month'].includes(query.interval) ? query.interval : null;
  const fromIn = h('input', { type: 'date', class: 'input', value: from, 'data-testid': 'date-from', 'aria-label': t('a.dash.from') });
  const toIn = h('input', { type: 'date', class: 'input', value: to, 'data-testid': 'date-to', 'aria-label': t('a.dash.to') });
  const periodErr = h('div', { class: 'sa-period-error', role: 'alert', 'data-testid': 'period-error' });
  const intervalSel = h('select', { class: 'select', 'data-testid': 'chart-interval', 'aria-label': t('a.dash.interval') },
    ['day', 'week', 'month'].map((v) => h('option', { value: v }, t(`a.dash.${v}`))));
  const quick = [
    { id: 'range-this-month', label: t('a.dash.thisMonth'), range: () => [monthStart(today), monthEnd(today)] },
    { id: 'range-last-month', label: t('a.dash.lastMonth'), range: () => { const l = lastMonthOf(today); return [monthStart(l), monthEnd(l)]; } },
    { id: 'range-this-year', label: t('a.dash.thisYear'), range: () => [`${today.slice(0, 4)}-01-01`, `${today.slice(0, 4)}-12-31`] },
  ];
  const quickBox = h('div', { class: 'sa-quick' }, quick.map((q) => h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': q.id,
    onclick: () => { [from, to] = q.range(); fromIn.value = from; toIn.value = to; apply(); } }, q.label)));

  const periodBar = h('div', { class: 'sa-period' },
    h('label', null, t('a.dash.from'), fromIn),
    h('label', null, t('a.dash.to'), toIn),
    quickBox,
    h('label', null, t('a.dash.interval'), intervalSel),
    periodErr);

  const content = h('div', { class: 'sa-dash-content' });
  const monthIn = h('input', { type: 'month', class: 'input', value: lastMonthOf(today).slice(0, 7), 'data-testid': 'assessment-month', 'aria-label': t('a.dl.month') });

  const dl = async (b, path) => {
    b.disabled = true;
    b.setAttribute('aria-busy', 'true');
    const tst = toast(t('a.dl.started'));
    try {
      await download(path);
      toast(t('a.dl.done'), 'success');
    } catch (err) {
      toast(errorMessage(err), 'error');
    } finally {
      b.disabled = false; b.removeAttribute('aria-busy');
      if (tst && tst.remove) tst.remove();
    }
  };
  const ledgerQuery = () => qsOf({ created_from: from, created_to: addDays(to, 1) });
  const xlsxBtn = btn(t('a.dl.ledgerXlsx'), (e) => dl(e.currentTarget, `/ledger.xlsx${ledgerQuery()}`), { cls: 'btn-primary btn-small', testid: 'download-ledger', ic: 'download' });
  const csvBtn = btn(t('a.dl.ledgerCsv'), (e) => dl(e.currentTarget, `/ledger.csv${ledgerQuery()}`), { testid: 'download-ledger-csv', ic: 'download' });
  const assessBtn = btn(t('a.dl.assessment'), (e) => {
    if (!/^\d{4}-\d{2}$/.test(monthIn.value)) { monthIn.focus(); return; }
    dl(e.currentTarget, `/stats/assessment.xlsx${qsOf({ month: monthIn.value })}`);
  }, { testid: 'download-assessment', ic: 'download' });
  const downloads = h('section', { class: 'card' },
    h('h3', { class: 'card-title' }, t('a.dl.title')),
    h('div', { class: 'sa-downloads' }, xlsxBtn, csvBtn, h('span', { class: 'sa-divider', 'aria-hidden': 'true' }),
      h('span', { class: 'sa-inline' }, h('label', { class: 'muted sf-small' }, t('a.dl.month')), monthIn, assessBtn)),
    h('p', { class: 'muted sf-small sa-result' }, t('a.dl.hint')));

  function autoInterval() {
    const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86400000 + 1;
    return days <= 62 ? 'day' : days <= 200 ? 'week' : 'month';
  }

  let seq = 0;
  async function apply() {
    from = fromIn.value; to = toIn.value;
    fromIn.classList.remove('is-invalid'); toIn.classList.remove('is-invalid');
    periodErr.textContent = '';
    if (!validYmd(from)) { fromIn.classList.add('is-invalid'); periodErr.textContent = t('s.required'); return; }
    if (!validYmd(to)) { toIn.classList.add('is-invalid'); periodErr.textContent = t('s.required'); return; }
    if (to < from) { toIn.classList.add('is-invalid'); periodErr.textContent = t('a.dash.badRange'); return; }
    if (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`) > 3652 * 86400000) { toIn.classList.add('is-invalid'); periodErr.textContent = t('a.dash.tooLong'); return; }
    const iv = interval || autoInterval();
    intervalSel.value = iv;
    setHashQuery({ from, to, interval: interval || '' });
    quickBox.querySelectorAll('.btn').forEach((b, i) => { const [a, z] = quick[i].range(); b.classList.toggle('active', a === from && z === to); });
    const my = ++seq;
    const q = { from, to: addDays(to, 1) };
    content.replaceChildren(loading());
    try {
      const [summary, ranking] = await Promise.all([
        api('GET', '/stats/summary', null, { query: q }),
        api('GET', '/stats/ranking', null, { query: { ...q, limit: 10 } }).catch((e) => ({ error: e })),
      ]);
      if (my !== seq) return;
      const rankNode = ranking.error
        ? h('section', { class: 'card' }, errorState(ranking.error))
        : h('div', { class: 'sa-rank' },
          rankTable('ranking-best', ranking.best || [], 'sa-rank-best', t('a.rank.best'), ranking.ranked),
          rankTable('ranking-worst', ranking.worst || [], 'sa-rank-worst', t('a.rank.worst'), ranking.ranked),
          // Nothing due yet (nothing resolved, nothing overdue): not ranked, "—" rather than 0.
          (ranking.unranked || []).length ? h('p', { class: 'muted sf-small sa-unranked', 'data-testid': 'ranking-unranked' },
            t('a.rank.unranked', { names: ranking.unranked.join('、') })) : null);
      content.replaceChildren(
        h('p', { class: 'muted sf-small sa-periodline' }, t('a.dash.period', { from, to }), ranking.ranked !== undefined ? ` · ${t('a.rank.ranked', { n: ranking.ranked })}` : ''),
        kpis(summary),
        h('div', { class: 'sa-charts' },
          chartCard('trend', t('a.chart.trend'), { ...q, interval: iv }),
          chartCard('departments', t('a.chart.departments'), q),
          chartCard('categories', t('a.chart.categories'), q),
          chartCard('satisfaction', t('a.chart.satisfaction'), q)),
        h('div', { class: 'sa-hot-row2' }, hotTopicsPanel(q), chartCard('hot-topics', t('a.chart.hot'), q)),
        rankNode,
        liaisonPanel(),
        policyPanel(),
        systemicPanel(),
        downloads,
        assessmentArchive());
    } catch (err) {
      if (my !== seq) return;
      content.replaceChildren(errorState(err, apply));
    }
  }
  fromIn.addEventListener('change', apply);
  toIn.addEventListener('change', apply);
  intervalSel.addEventListener('change', () => { interval = intervalSel.value; apply(); });
  apply();
  return adminPage(t('a.dash.title'), [periodBar, content]);
}
