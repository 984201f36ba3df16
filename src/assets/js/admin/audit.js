// admin/audit.js — 操作日志 (#/a/audit?action=&from=&to=): who changed what and when — accounts,
// departments, enterprises and their import, categories, the calendar, notification retries
// and exports — newest first, by kind of record and period (GET /audit), in Chinese words.
//
// Test ids (stable, for tests/e2e):
//   audit-action audit-from audit-to audit-refresh audit-table audit-row (data-action)

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { fmtDateTime } from '../core/format.js';
import { directory } from '../desk/directory.js';
import { validYmd, addDays } from '../desk/dates.js';
import { setHashQuery, pagedList } from '../desk/paged-list.js';
import { btn, td, table, adminPage } from './frame.js';

/** The kinds of record a filter picks (`user.` is every action on accounts). */
const KINDS = ['user', 'department', 'enterprise', 'category', 'calendar', 'notification', 'export', 'systemic_issue', 'assessment', 'bulletin', 'campaign'];
/** The actions the log holds (src/api/audit.rs), each with its Chinese name. */
const ACTIONS = ['user.create', 'user.update', 'department.create', 'department.update', 'enterprise.create', 'enterprise.update',
  'enterprise.import', 'category.create', 'category.update', 'calendar.put', 'notification.retry', 'export.ledger', 'export.assessment', 'legal.publish', 'join_request.decide',
  'systemic_issue.create', 'systemic_issue.update', 'systemic_issue.link', 'systemic_issue.unlink', 'assessment.publish',
  'bulletin.create', 'bulletin.update', 'bulletin.publish', 'enterprise.pairing_import', 'campaign.create'];

/** An action's name in the page's language; never its raw key. */
function actionLabel(a) { return ACTIONS.includes(a) ? t(`a.audit.act.${a}`) : t('a.audit.act.other'); }

/** What changed, in words: the fields' names (never values) or an export's format. */
function detailText(d) {
  if (!d || typeof d !== 'object') return '';
  if (Array.isArray(d.fields)) return t('a.audit.fields', { fields: d.fields.join('、') });
  if (d.format) return t('a.audit.format', { format: String(d.format).toUpperCase() });
  const keys = Object.keys(d);
  return keys.length ? keys.map((k) => `${k}: ${typeof d[k] === 'object' ? JSON.stringify(d[k]) : d[k]}`).join('；') : '';
}

export async function auditPage(params, query) {
  let kind = KINDS.includes(query.action) ? query.action : '';
  let from = validYmd(query.from) ? query.from : '';
  let to = validYmd(query.to) ? query.to : '';
  const box = h('div');

  const kindSel = h('select', { class: 'select', 'data-testid': 'audit-action', 'aria-label': t('a.audit.kind'), onchange: (e) => { kind = e.target.value; go(); } },
    h('option', { value: '' }, t('a.audit.allKinds')), KINDS.map((k) => h('option', { value: k, selected: k === kind }, t(`a.audit.kind.${k}`))));
  const fromIn = h('input', { type: 'date', class: 'input', value: from, 'data-testid': 'audit-from', 'aria-label': t('a.dash.from'), onchange: (e) => { from = e.target.value; go(); } });
  const toIn = h('input', { type: 'date', class: 'input', value: to, 'data-testid': 'audit-to', 'aria-label': t('a.dash.to'), onchange: (e) => { to = e.target.value; go(); } });
  const toolbar = h('div', { class: 'toolbar sa-toolbar' }, kindSel, fromIn, toIn,
    h('span', { class: 'toolbar-spacer' }),
    btn(t('s.refresh'), () => go(), { testid: 'audit-refresh', ic: 'refresh' }));

  function row(x) {
    const who = h('span', null, x.actor_id ? '…' : t('role.system'));
    if (x.actor_id) directory.user(x.actor_id).then((u) => { who.textContent = (u && (u.name || u.username)) || t(`role.${x.actor_role}`); }, () => { who.textContent = t(`role.${x.actor_role}`); });
    return h('tr', { 'data-testid': 'audit-row', 'data-action': x.action },
      td(fmtDateTime(x.at), 'sa-nowrap'),
      td(who),
      td(t(`role.${x.actor_role}`), 'sa-nowrap'),
      td(actionLabel(x.action), 'sa-nowrap'),
      td(detailText(x.detail)),
      td(x.ip, 'sa-nowrap mono'));
  }

  function go() {
    setHashQuery({ action: kind, from, to });
    const list = pagedList({
      testid: 'audit-tbody', listTag: 'tbody', listClass: 'sa-tbody', emptyText: t('a.audit.empty'),
      wrap: (tbody) => table('audit-table', [t('a.audit.at'), t('a.audit.actor'), t('a.audit.role'), t('a.audit.action'), t('a.audit.detail'), t('a.audit.ip')], tbody),
      // `to` is the last day shown: the API's `to` is exclusive.
      load: (cursor) => api('GET', '/audit', null, { query: { action: kind ? `${kind}.` : undefined, from: from || undefined, to: to ? addDays(to, 1) : undefined, limit: 50, cursor } }),
      item: row,
    });
    box.replaceChildren(list.element);
  }
  go();
  return adminPage(t('a.audit.title'), [toolbar, box]);
}
