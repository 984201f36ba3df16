// desk/bulletin.js — the weekly bulletins (每周通报) for cadres, dispatchers and admins: the list
// (#/bulletins: the published ones, the latest week first; admins the drafts too, and 起草通报)
// and one bulletin (#/bulletins/:id) laid out as a government bulletin — the red masthead, the
// issue number, the office and date, a red rule, the title and the sections with their tables
// (七、千名干部进千企 when the figures have the liaison program's week: not in older bulletins) —
// with 打印 (print CSS for A4 in staff.css: only the document is printed), Word and Excel.
// An admin's draft shows the editor above it (desk/bulletin-edit.js).
//
// Test ids (stable, for tests/e2e):
//   bulletin-list bulletin-item (data-id, data-status) bulletin-new bulletin-empty
//   bulletin-page bulletin-doc bulletin-masthead bulletin-issue bulletin-doc-title
//   bulletin-foreword bulletin-section bulletin-liaison bulletin-print bulletin-word bulletin-excel
//   bulletin-draft-banner

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api, download } from '../core/api.js';
import { errorMessage } from '../core/errors.js';
import { session } from '../core/session.js';
import { navigate } from '../core/router.js';
import { page } from '../core/layout.js';
import { toast } from '../core/feedback.js';
import { loading, empty, errorState } from '../core/states.js';
import { fmtDateTime } from '../core/format.js';
import { field } from '../core/forms.js';
import { formDialog, textInput } from './form-dialog.js';
import { draftEditor } from './bulletin-edit.js';

const isAdmin = () => session.role() === 'admin';

/** `2026年11月30日—12月6日` from YYYY-MM-DD days. */
export function periodText(from, to) {
  const [fy, fm, fd] = from.split('-').map(Number);
  const [ty, tm, td] = to.split('-').map(Number);
  const first = `${fy}年${fm}月${fd}日`;
  return fy === ty ? `${first}—${tm}月${td}日` : `${first}—${ty}年${tm}月${td}日`;
}

/** `2026年12月7日` (China) of an instant. */
function dateText(iso) {
  const d = fmtDateTime(iso).slice(0, 10);
  if (!d) return '';
  const [y, m, day] = d.split('-').map(Number);
  return `${y}年${m}月${day}日`;
}

/** 一 … 九十九, as the typical cases are numbered (（一）…). */
function cn(n) {
  const d = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
  if (n < 10) return d[n];
  const tens = Math.floor(n / 10);
  return `${tens === 1 ? '' : d[tens]}十${d[n % 10]}`;
}

const pct = (r) => (r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`);

/** A table; the columns in `text` (the first by default) are text, aligned left. */
function docTable(headers, rows, testid, text = [0]) {
  return h('div', { class: 'bl-table-wrap' },
    h('table', { class: 'bl-table', 'data-testid': testid },
      h('thead', null, h('tr', null, headers.map((x) => h('th', null, t(x))))),
      h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => h('td', { class: text.includes(i) ? 'bl-text' : null }, c === null || c === undefined ? '' : String(c))))))));
}

const TOTALS = ['bl.col.filed', 'bl.col.accepted', 'bl.col.resolved', 'bl.col.onTime', 'bl.col.satisfaction', 'bl.col.overdue', 'bl.col.reopened'];
const totalsCells = (x) => [x.filed, x.accepted, x.resolved, pct(x.on_time_rate), pct(x.satisfaction_rate), x.overdue_open, x.reopened];

function section(title, ...children) {
  return h('section', { class: 'bl-section', 'data-testid': 'bulletin-section' }, h('h3', { class: 'bl-h' }, t(title)), children);
}

function para(text, cls) { return h('p', { class: ['bl-p', cls] }, text); }

const LIAISON = ['bl.col.dept', 'bl.col.paired', 'bl.col.visited', 'bl.col.coverage', 'bl.col.visits', 'bl.col.cadres', 'bl.col.perCadre', 'bl.col.liRequests', 'bl.col.perVisit'];
const ratio = (x) => (x === null || x === undefined ? '—' : x.toFixed(1));
const liaisonCells = (name, x) => [name, x.paired, x.visited, pct(x.coverage), x.visits, x.cadres, ratio(x.visits_per_cadre), x.requests, ratio(x.requests_per_visit)];

/** 七、千名干部进千企: the week's visits in a sentence, and by department (全区 first), as the Word file has them. */
function liaisonSection(l) {
  const x = l.totals;
  return section('bl.doc.s7',
    para(x.visits === 0 && x.paired === 0 ? t('bl.doc.s7none') : t('bl.doc.s7summary', {
      visits: x.visits, visited: x.visited, paired: x.paired, coverage: pct(x.coverage), cadres: x.cadres, per: ratio(x.visits_per_cadre), requests: x.requests,
    })),
    l.departments.length
      ? docTable(LIAISON, [liaisonCells(t('bl.col.all'), x), ...l.departments.map((d) => liaisonCells(d.name, d.figures))], 'bulletin-liaison')
      : null);
}

/** The bulletin as printed: its masthead, issue, office and date, red rule, title and sections. */
export function bulletinDocument(b) {
  const f = b.figures;
  const period = periodText(b.period_from, b.period_to);
  const w = f.week;
  const y = f.year;
  const more = f.overdue_count - f.overdue.length;
  return h('article', { class: 'bl-doc', 'data-testid': 'bulletin-doc', lang: 'zh-CN' },
    h('header', { class: 'bl-masthead' },
      h('div', { class: 'bl-name', 'data-testid': 'bulletin-masthead' }, b.title),
      h('div', { class: 'bl-issue', 'data-testid': 'bulletin-issue' }, b.issue || t('bl.doc.draftIssue')),
      h('div', { class: 'bl-office' },
        h('span', null, b.issuing_office),
        h('span', null, dateText(b.published_at || f.computed_at)))),
    h('hr', { class: 'bl-rule' }),
    h('h2', { class: 'bl-title', 'data-testid': 'bulletin-doc-title' }, t('bl.doc.title', { period })),
    b.foreword ? h('div', { 'data-testid': 'bulletin-foreword' }, b.foreword.split('\n').filter((l) => l.trim()).map((l) => para(l))) : null,
    section('bl.doc.s1',
      para(t('bl.doc.summary', {
        period, wf: w.filed, wa: w.accepted, wr: w.resolved, wo: pct(w.on_time_rate), ws: pct(w.satisfaction_rate),
        year: f.year_from.slice(0, 4), yf: y.filed, ya: y.accepted, yr: y.resolved, yo: pct(y.on_time_rate), ys: pct(y.satisfaction_rate), yre: y.reopened,
        od: f.overdue_count,
      })),
      docTable(['bl.col.scope', ...TOTALS], [[t('bl.col.week'), ...totalsCells(w)], [t('bl.col.year'), ...totalsCells(y)]], 'bulletin-totals')),
    section('bl.doc.s2',
      f.departments.length
        ? [para(t('bl.doc.s2week'), 'bl-sub'),
          docTable(['bl.col.dept', ...TOTALS], f.departments.map((d) => [d.name, ...totalsCells(d.week)]), 'bulletin-departments-week'),
          para(t('bl.doc.s2year'), 'bl-sub'),
          docTable(['bl.col.dept', ...TOTALS], f.departments.map((d) => [d.name, ...totalsCells(d.year)]), 'bulletin-departments-year')]
        : para(t('bl.doc.s2none'))),
    section('bl.doc.s3',
      f.red.length || f.black.length
        ? [para(t('bl.doc.s3note')), docTable(['bl.col.list', 'bl.col.rank', 'bl.col.dept', 'bl.col.score', 'bl.col.onTime', 'bl.col.satisfaction'],
          [...f.red.map((l) => [t('bl.red'), l.rank, l.name, l.score.toFixed(1), pct(l.on_time_rate), pct(l.satisfaction_rate)]),
            ...f.black.map((l) => [t('bl.black'), l.rank, l.name, l.score.toFixed(1), pct(l.on_time_rate), pct(l.satisfaction_rate)])], 'bulletin-lists', [2])]
        : para(t('bl.doc.s3none'))),
    section('bl.doc.s4',
      f.overdue_count === 0
        ? para(t('bl.doc.s4none'))
        : [para(more > 0 ? t('bl.doc.s4more', { n: f.overdue_count, shown: f.overdue.length, more }) : t('bl.doc.s4count', { n: f.overdue_count })),
          docTable(['bl.col.no', 'bl.col.number', 'bl.col.matter', 'bl.col.owner', 'bl.col.assignee', 'bl.col.due', 'bl.col.days'],
            f.overdue.map((o, i) => [i + 1, o.number, o.title, o.department || '', o.assignee || '', fmtDateTime(o.due_at), o.overdue_days]), 'bulletin-overdue', [2, 3])]),
    section('bl.doc.s5',
      b.cases.length
        ? b.cases.map((c, i) => h('div', { class: 'bl-case', 'data-testid': 'bulletin-case' },
          para(`（${cn(i + 1)}）${c.title}（${c.number}，${c.department || t('bl.unassigned')}，${c.status_label}）`, 'bl-case-head'),
          c.note ? para(c.note) : null))
        : para(t('bl.doc.s5none'))),
    section('bl.doc.s6',
      f.systemic.length
        ? docTable(['bl.col.no', 'bl.col.issue', 'bl.col.lead', 'bl.col.status', 'bl.col.requests', 'bl.col.enterprises'],
          f.systemic.map((s, i) => [i + 1, s.title, s.lead_department, s.status_label, s.requests, s.enterprises]), 'bulletin-systemic', [1, 2])
        : para(t('bl.doc.s6none'))),
    f.liaison ? liaisonSection(f.liaison) : null,
    h('footer', { class: 'bl-foot muted' }, t('bl.computedAt', { time: fmtDateTime(f.computed_at) })));
}

async function fetchFile(button, path) {
  button.disabled = true;
  try { await download(path); } catch (err) { toast(errorMessage(err), 'error'); } finally { button.disabled = false; }
}

/** #/bulletins/:id */
export async function bulletinPage({ id }) {
  const body = h('div', { class: 'bl-page', 'data-testid': 'bulletin-page' }, loading());
  const path = `/bulletins/${encodeURIComponent(id)}`;
  const reload = async () => {
    try {
      const b = await api('GET', path);
      const tool = (label, ic, testid, onclick) => h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': testid, onclick }, icon(ic), label);
      const tools = h('div', { class: 'bl-tools no-print' },
        tool(t('bl.print'), 'file', 'bulletin-print', () => window.print()),
        tool(t('bl.word'), 'download', 'bulletin-word', (e) => fetchFile(e.currentTarget, `${path}/bulletin.docx`)),
        tool(t('bl.excel'), 'download', 'bulletin-excel', (e) => fetchFile(e.currentTarget, `${path}/tables.xlsx`)));
      const draft = b.status === 'draft';
      body.replaceChildren(...[
        draft ? h('p', { class: 'bl-banner no-print', 'data-testid': 'bulletin-draft-banner' }, t('bl.draftBanner')) : null,
        draft && isAdmin() ? draftEditor(b, reload) : null,
        tools,
        bulletinDocument(b)].filter(Boolean));
    } catch (err) {
      body.replaceChildren(errorState(err, reload));
    }
  };
  await reload();
  return page({ title: t('bl.title'), back: '#/bulletins', body, tabbar: true, wide: true, className: 'sf-page bl-pagewrap' });
}

function itemCard(b) {
  const label = b.issue || t('bl.draft');
  return h('a', { class: ['list-item', 'sf-card', 'bl-card'], href: `#/bulletins/${encodeURIComponent(b.id)}`, 'data-testid': 'bulletin-item', 'data-id': b.id, 'data-status': b.status },
    h('div', { class: 'ti-head' },
      h('div', { class: 'ti-title' }, label),
      h('span', { class: ['tag', b.status === 'draft' ? 'tag-assigned' : 'tag-closed-ok'] }, b.status === 'draft' ? t('bl.draft') : t('bl.published'))),
    h('div', { class: 'ti-meta muted' }, periodText(b.period_from, b.period_to)),
    h('div', { class: 'ti-foot muted sf-small' },
      b.published_at ? t('bl.publishedAt', { time: fmtDateTime(b.published_at) }) : t('bl.draftedAt', { time: fmtDateTime(b.drafted_at) })));
}

async function draftNew() {
  const made = await formDialog({
    title: t('bl.newTitle'), okText: t('bl.new'), action: 'bulletin-new-submit',
    fields: [field(t('bl.newFrom'), textInput('from', { type: 'date', testid: 'bulletin-new-from' }), t('bl.newFromHint'))],
    submit: async (form, values) => api('POST', '/bulletins', values.from ? { from: values.from } : {}),
  });
  if (made && made.id) { toast(t('bl.drafted'), 'success'); navigate(`#/bulletins/${encodeURIComponent(made.id)}`); }
}

/** #/bulletins */
export async function bulletinListPage() {
  const box = h('div', { class: 'list', 'data-testid': 'bulletin-list' }, loading());
  const load = async () => {
    try {
      const r = await api('GET', '/bulletins');
      const items = r.items || [];
      box.replaceChildren(...(items.length
        ? items.map(itemCard)
        : [h('div', { 'data-testid': 'bulletin-empty' }, empty(isAdmin() ? t('bl.noneAdmin') : t('bl.none')))]));
    } catch (err) {
      box.replaceChildren(errorState(err, load));
    }
  };
  await load();
  const actions = isAdmin()
    ? h('button', { type: 'button', class: 'btn btn-primary btn-small', 'data-testid': 'bulletin-new', onclick: () => draftNew() }, icon('plus'), t('bl.new'))
    : null;
  return page({ title: t('bl.title'), body: h('div', { class: 'sf-listpage' }, actions ? h('div', { class: 'toolbar sf-toolbar' }, h('span', { class: 'toolbar-spacer' }), actions) : null, box),
    tabbar: true, wide: true, className: 'sf-page' });
}
