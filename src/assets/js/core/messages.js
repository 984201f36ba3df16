// core/messages.js — the message centre (站内消息, #/messages) of every role: my messages, newest
// first, all or only the unread, a page at a time; mark one or all read; each message opens what
// it is about in the reader's own page — its ticket (#/t/{id}), or, for a policy's message
// (ticket_id null), its application (#/applications/{id}) or its policy (#/policies/{id}) — and
// is marked read on the way. Also the latest unread for the enterprise's home.
//
//   messagesPage() → Node             the page.
//   latestUnread(n) → Promise<items>  the n newest unread messages.
//   messageItem(m, onRead) → Node     one message as a list cell.
//
// Test ids (stable, for tests/e2e):
//   messages-list message-item (data-id, data-ticket, data-policy, data-application, data-event,
//   data-unread) message-title message-read messages-read-all messages-tab-all messages-tab-unread
//   messages-more

import { h } from './dom.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { navigate } from './router.js';
import { page } from './layout.js';
import { tabs } from './controls.js';
import { toast } from './feedback.js';
import { errorMessage } from './errors.js';
import { loading, empty, errorState } from './states.js';
import { refreshUnread, setUnread } from './unread.js';

/** A time as the reader's clock on the wall in China shows it: 12月8日 14:05. */
function when(at) {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
}

export function latestUnread(n) {
  return api('GET', '/messages', null, { query: { unread: true, limit: n } }).then((r) => r.items || []);
}

async function markRead(m) {
  if (m.read_at) return m;
  const read = await api('POST', `/messages/${encodeURIComponent(m.id)}/read`);
  refreshUnread();
  return read;
}

/** Where a message leads: its ticket, else its application, else its policy (main.js's links). */
function targetOf(m) {
  if (m.ticket_id) return `#/t/${encodeURIComponent(m.ticket_id)}`;
  if (m.application_id) return `#/applications/${encodeURIComponent(m.application_id)}`;
  if (m.policy_id) return `#/policies/${encodeURIComponent(m.policy_id)}`;
  return '#/messages';
}

export function messageItem(m, onRead) {
  const target = targetOf(m);
  const open = async (e) => {
    e.preventDefault();
    try { await markRead(m); } catch { /* what it is about opens anyway */ }
    navigate(target);
  };
  const unread = !m.read_at;
  const readBtn = unread ? h('button', {
    type: 'button', class: 'btn btn-ghost btn-small', 'data-testid': 'message-read',
    onclick: async (e) => {
      e.preventDefault(); e.stopPropagation();
      const btn = e.currentTarget;
      btn.disabled = true;
      try { const read = await markRead(m); if (onRead) onRead(read); } catch (err) { btn.disabled = false; toast(errorMessage(err), 'error'); }
    },
  }, t('msg.markRead')) : null;
  return h('a', {
    class: ['list-item', 'message-item', unread && 'unread'], href: target,
    'data-testid': 'message-item', 'data-id': m.id, 'data-ticket': m.ticket_id, 'data-policy': m.policy_id, 'data-application': m.application_id,
    'data-event': m.event, 'data-unread': unread ? '1' : '0', onclick: open,
  },
  h('div', { class: 'ti-head' },
    h('div', { class: 'ti-title message-title', 'data-testid': 'message-title' }, unread ? h('span', { class: 'dot', 'aria-label': t('msg.unread') }) : null, m.title)),
  h('div', { class: 'message-body' }, m.body),
  h('div', { class: 'ti-foot' }, h('span', { class: 'muted' }, when(m.created_at)), readBtn));
}

export async function messagesPage() {
  let only = 'all';
  let cursor = null;
  const listBox = h('div', { class: 'list', 'data-testid': 'messages-list' }, loading());
  const more = h('button', { type: 'button', class: 'btn btn-ghost btn-block', 'data-testid': 'messages-more', hidden: true, onclick: () => load(false) }, t('common.more'));

  const redraw = (item, read) => item.replaceWith(messageItem(read, (again) => redraw(listBox.querySelector(`[data-id="${again.id}"]`), again)));
  const cell = (m) => messageItem(m, (read) => {
    const item = listBox.querySelector(`[data-id="${read.id}"]`);
    if (only === 'unread') item?.remove(); else if (item) redraw(item, read);
    if (!listBox.children.length) listBox.replaceChildren(empty(t('msg.noneUnread')));
  });

  async function load(fresh) {
    if (fresh) { cursor = null; listBox.replaceChildren(loading()); }
    more.hidden = true;
    try {
      const r = await api('GET', '/messages', null, { query: { unread: only === 'unread', limit: 20, cursor: cursor || undefined } });
      const items = (r.items || []).map(cell);
      if (fresh) listBox.replaceChildren(...(items.length ? items : [empty(t(only === 'unread' ? 'msg.noneUnread' : 'msg.none'))]));
      else listBox.append(...items);
      cursor = r.next_cursor;
      more.hidden = !cursor;
    } catch (err) {
      listBox.replaceChildren(errorState(err, () => load(true)));
    }
  }

  const readAll = h('button', {
    type: 'button', class: 'btn', 'data-testid': 'messages-read-all',
    onclick: async (e) => {
      const btn = e.currentTarget;
      btn.disabled = true;
      try {
        await api('POST', '/messages/read-all');
        setUnread(0);
        toast(t('msg.allRead'), 'success');
        await load(true);
      } catch (err) { toast(errorMessage(err), 'error'); } finally { btn.disabled = false; }
    },
  }, t('msg.readAll'));

  const bar = tabs([
    { value: 'all', label: t('msg.all'), testid: 'messages-tab-all' },
    { value: 'unread', label: t('msg.unread'), testid: 'messages-tab-unread' },
  ], only, (v) => { only = v; load(true); });

  load(true);
  return page({ title: t('msg.title'), back: true, actions: readAll, tabbar: true, body: h('div', { class: 'messages' }, bar, listBox, more) });
}
