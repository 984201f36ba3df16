// core/layout.js — the standard page: a red header bar (back button, title, actions, and for
// anyone signed in the message centre's bell with its unread badge), the body and the
// signed-in role's bottom tab bar (a side menu on a desk, by CSS).
//
//   page({title, back, actions, body, tabbar, wide, className})  back: true | '#/hash' | fn;
//                                   tabbar: true → the role's tabs, or an explicit array. → Node
//   setTabs(role, [{hash, label, icon, testid}])  a role's tabs ('label' is a t() key or text).
//
// Test ids (stable, for tests/e2e):
//   nav-back (and each tab's own)

import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from './i18n.js';
import { session, homeOf } from './session.js';
import { navigate, currentHash } from './router.js';
import { bell } from './unread.js';

const TABS = {};

export function setTabs(role, items) { TABS[role] = items; }

function tabbarNode(items) {
  const hash = currentHash().split('?')[0];
  let active = null;
  for (const it of items) {
    const base = it.hash.split('?')[0];
    if (hash === base || hash.startsWith(`${base}/`)) {
      if (!active || base.length > active.hash.split('?')[0].length) active = it;
    }
  }
  return h('nav', { class: 'tabbar', 'aria-label': t('app.name') },
    items.map((it) => h('a', {
      class: ['tabbar-item', it === active && 'active'],
      href: it.hash,
      'data-testid': it.testid,
      'aria-current': it === active ? 'page' : null,
    }, icon(it.icon || 'list'), h('span', null, t(it.label)), it.badge ? h('span', { class: 'badge' }, String(it.badge)) : null)));
}

export function page({ title, back, actions, body, tabbar, wide, className } = {}) {
  let backBtn = null;
  if (back) {
    backBtn = h('button', {
      type: 'button', class: 'topbar-back', 'aria-label': t('common.back'), 'data-testid': 'nav-back',
      onclick: () => {
        if (typeof back === 'function') back();
        else if (typeof back === 'string') navigate(back);
        else if (history.length > 1) history.back();
        else navigate(homeOf(session.role()));
      },
    }, icon('back'));
  }
  let bar = null;
  if (tabbar) {
    const items = Array.isArray(tabbar) ? tabbar : TABS[session.role()];
    if (items && items.length) bar = tabbarNode(items);
  }
  return h('div', { class: ['page', wide && 'wide', bar && 'has-tabbar', className] },
    h('header', { class: 'topbar' },
      backBtn || h('span', { class: 'topbar-spacer' }),
      h('h1', { class: 'topbar-title' }, title || t('app.name')),
      h('div', { class: 'topbar-actions' }, actions || null, session.role() && !(session.user() || {}).must_change_password && !(session.user() || {}).consent_required ? bell() : null)),
    h('main', { class: 'page-body', tabindex: '-1' }, body),
    bar);
}
