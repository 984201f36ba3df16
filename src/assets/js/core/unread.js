// core/unread.js — the unread badge of the message centre (站内消息) in every role's header: a
// bell linking to #/messages with the count of unread messages, read again on every page drawn
// and when the tab comes back into view.
//
//   bell() → Node          the header's bell with its badge (the count as last read).
//   refreshUnread()         reads the count again; every badge on the page follows.
//   setUnread(n)            the count, as a page that changed it knows it.
//
// Test ids (stable, for tests/e2e):
//   messages-bell messages-badge

import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { api } from './api.js';
import { session } from './session.js';

let count = 0;
let inflight = null;
let watching = false;

function paint(badge) {
  badge.textContent = count > 99 ? '99+' : String(count);
  badge.hidden = !count;
}

export function setUnread(n) {
  count = Math.max(0, Number(n) || 0);
  for (const b of document.querySelectorAll('[data-testid="messages-badge"]')) paint(b);
}

/** Whether the signed-in user may read their messages now (not before choosing a password). */
function canRead() {
  const user = session.user();
  return !!(user && !user.must_change_password && !user.consent_required);
}

export function refreshUnread() {
  if (!canRead()) return Promise.resolve();
  if (!inflight) {
    inflight = api('GET', '/messages/unread-count')
      .then((r) => setUnread(r.unread), () => {})
      .finally(() => { inflight = null; });
  }
  return inflight;
}

export function bell() {
  if (!watching) {
    watching = true;
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') refreshUnread(); });
  }
  const badge = h('span', { class: 'badge bell-badge', 'data-testid': 'messages-badge' });
  paint(badge);
  setTimeout(refreshUnread, 0);
  return h('a', { class: 'icon-btn bell', href: '#/messages', 'aria-label': t('msg.bell'), title: t('msg.bell'), 'data-testid': 'messages-bell' },
    icon('bell'), badge);
}
