// admin/notifications.js — 短信与邮件发送记录 (#/a/notifications?status=&channel=&event=): the outbox of SMS
// and e-mail with counts by status; a message's details; retrying a failed one.
//
// Test ids (stable, for tests/e2e):
//   notif-count-total notif-count-pending notif-count-sending notif-count-sent
//   notif-count-failed notif-status notif-channel notif-event notif-refresh notif-table
//   notif-row (data-status) notif-retry notif-view

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { errorMessage, ApiError } from '../core/errors.js';
import { toast } from '../core/feedback.js';
import { fmtDateTime } from '../core/format.js';
import { formDialog } from '../desk/form-dialog.js';
import { setHashQuery, pagedList } from '../desk/paged-list.js';
import { btn, td, table, adminPage } from './frame.js';

const NTF_STATUS = ['pending', 'sending', 'sent', 'failed'];
const NTF_EVENTS = ['ticket_filed', 'ticket_filed_on_visit', 'ticket_assigned', 'ticket_returned', 'ticket_urged', 'ticket_resolved', 'ticket_reopened', 'ticket_rejected',
  'deadline_reminder', 'sign_reminder', 'ticket_overdue', 'ticket_escalated', 'ticket_escalated_admins', 'extension_requested', 'extension_decided',
  'ticket_merged', 'ticket_unmerged', 'sms_code', 'daily_check', 'bulletin'];
/** An event's name in the page's language; never its raw key (an event this page does not know yet is "other"). */
function eventLabel(ev) { return NTF_EVENTS.includes(ev) ? t(`a.ntf.ev.${ev}`) : t('a.ntf.ev.other'); }

export async function notificationsPage(params, query) {
  let status = NTF_STATUS.includes(query.status) ? query.status : '';
  let channel = ['email', 'sms', 'robot'].includes(query.channel) ? query.channel : '';
  let event = NTF_EVENTS.includes(query.event) ? query.event : '';
  const counts = h('div', { class: 'sa-counts' });
  const box = h('div');
  let list = null;

  const statusSel = h('select', { class: 'select', 'data-testid': 'notif-status', 'aria-label': t('a.common.status'), onchange: (e) => { status = e.target.value; go(); } },
    h('option', { value: '' }, t('a.ntf.allStatus')), NTF_STATUS.map((s) => h('option', { value: s, selected: s === status }, t(`a.ntf.st.${s}`))));
  const channelSel = h('select', { class: 'select', 'data-testid': 'notif-channel', 'aria-label': t('a.ntf.channel'), onchange: (e) => { channel = e.target.value; go(); } },
    h('option', { value: '' }, t('a.ntf.allChannels')), ['sms', 'email', 'robot'].map((c) => h('option', { value: c, selected: c === channel }, t(`a.ntf.ch.${c}`))));
  const eventSel = h('select', { class: 'select', 'data-testid': 'notif-event', 'aria-label': t('a.ntf.event'), onchange: (e) => { event = e.target.value; go(); } },
    h('option', { value: '' }, t('a.ntf.allEvents')), NTF_EVENTS.map((c) => h('option', { value: c, selected: c === event }, t(`a.ntf.ev.${c}`))));
  const toolbar = h('div', { class: 'toolbar sa-toolbar' }, statusSel, channelSel, eventSel,
    h('span', { class: 'toolbar-spacer' }),
    btn(t('s.refresh'), () => go(), { testid: 'notif-refresh', ic: 'refresh' }));

  async function loadCounts() {
    try {
      const c = await api('GET', '/notifications/counts');
      const card = (key, label, n, cls) => h('button', { type: 'button', class: ['sa-kpi', cls, (status || '') === key && 'active'], 'data-testid': `notif-count-${key || 'total'}`,
        onclick: () => { status = key; statusSel.value = key; go(); } },
      h('span', { class: 'sa-kpi-label' }, label), h('span', { class: 'sa-kpi-value' }, String(n ?? 0)));
      counts.replaceChildren(card('', t('a.ntf.total'), c.total), ...NTF_STATUS.map((s) => card(s, t(`a.ntf.st.${s}`), c.by_status && c.by_status[s], s === 'failed' && c.by_status && c.by_status.failed ? 'is-failed' : null)));
    } catch (err) {
      counts.replaceChildren(h('div', { class: 'muted sf-small' }, t('a.ntf.countsFailed')));
    }
  }

  function statusTagN(s) { return h('span', { class: ['tag', `tag-${s}`] }, t(`a.ntf.st.${s}`)); }

  function row(n) {
    const tr = h('tr', { 'data-testid': 'notif-row', 'data-id': n.id, 'data-status': n.status });
    const fill = (x) => {
      tr.setAttribute('data-status', x.status);
      tr.replaceChildren(
        td(fmtDateTime(x.created_at), 'sa-nowrap'),
        td(t(`a.ntf.ch.${x.channel}`), 'sa-nowrap'),
        td(h('div', null, h('div', null, x.recipient_name || ''), h('div', { class: 'muted sf-small mono' }, x.recipient))),
        td(eventLabel(x.event), 'sa-nowrap'),
        td(h('div', { class: 'sa-clip', title: x.subject || x.body || '' }, x.subject || x.body || '')),
        td(statusTagN(x.status)),
        td(String(x.attempts ?? 0), 'num'),
        td(x.last_error ? h('div', { class: 'sa-err' }, x.last_error) : ''),
        td(h('div', { class: 'btn-row' },
          btn(t('a.ntf.view'), () => view(x), { testid: 'notif-view' }),
          x.status === 'failed' ? btn(t('a.ntf.retry'), async (e) => {
            const b = e.currentTarget; b.disabled = true;
            try {
              const nx = await api('POST', `/notifications/${encodeURIComponent(x.id)}/retry`);
              toast(t('a.ntf.retried'), 'success');
              fill(nx || { ...x, status: 'pending', attempts: 0 });
              loadCounts();
            } catch (err) {
              b.disabled = false;
              toast(errorMessage(err), 'error');
              if (err instanceof ApiError && err.code === 'not_failed') go();
            }
          }, { testid: 'notif-retry', cls: 'btn-primary btn-small' }) : null), 'sa-actions'));
    };
    fill(n);
    return tr;
  }

  async function view(n) {
    let x = n;
    try { x = await api('GET', `/notifications/${encodeURIComponent(n.id)}`); } catch { /* show what we have */ }
    const kv = (label, value) => (value === null || value === undefined || value === '' ? null : h('div', { class: 'sf-kv' }, h('dt', null, label), h('dd', null, value)));
    await formDialog({
      title: t('a.ntf.detail'), okText: t('common.close'), wide: true, action: 'notif-view',
      fields: [
        h('dl', { class: 'sf-kvs sa-kvs' },
          kv(t('a.ntf.channel'), t(`a.ntf.ch.${x.channel}`)),
          kv(t('a.ntf.recipient'), `${x.recipient_name || ''} ${x.recipient}`),
          kv(t('a.ntf.event'), eventLabel(x.event)),
          kv(t('a.common.status'), statusTagN(x.status)),
          kv(t('a.ntf.attempts'), String(x.attempts ?? 0)),
          kv(t('a.ntf.time'), fmtDateTime(x.created_at)),
          kv(t('a.ntf.sentAt'), fmtDateTime(x.sent_at)),
          kv(t('a.ntf.next'), x.status === 'pending' || x.status === 'failed' ? fmtDateTime(x.next_attempt_at) : null),
          kv(t('a.ntf.provider'), x.provider_message_id),
          kv(t('a.ntf.error'), x.last_error),
          kv(t('a.ntf.ticket'), x.ticket_id ? h('a', { href: `#/d/tickets/${encodeURIComponent(x.ticket_id)}` }, t('a.ntf.view')) : null),
          kv(t('a.ntf.subject'), x.subject)),
        h('div', { class: 'sa-pre' }, x.body || ''),
      ],
      submit: async () => true,
    });
  }

  function go() {
    setHashQuery({ status, channel, event });
    loadCounts();
    list = pagedList({
      testid: 'notif-tbody', listTag: 'tbody', listClass: 'sa-tbody', emptyText: t('a.ntf.empty'),
      wrap: (tbody) => table('notif-table', [t('a.ntf.time'), t('a.ntf.channel'), t('a.ntf.recipient'), t('a.ntf.event'), t('a.ntf.content'), t('a.common.status'), { label: t('a.ntf.attempts'), cls: 'num' }, t('a.ntf.error'), { label: t('a.common.actions'), cls: 'sa-actions' }], tbody),
      load: (cursor) => api('GET', '/notifications', null, { query: { status: status || undefined, channel: channel || undefined, event: event || undefined, limit: 50, cursor } }),
      item: row,
    });
    box.replaceChildren(list.element);
  }
  go();
  return adminPage(t('a.ntf.title'), [counts, toolbar, box]);
}
