// admin/frame.js — the frame of the administrator's pages: the side menu on a desk (NAV) or the
// tab bar with 管理 on a phone (PHONE_NAV, from 900 px: desk), adminPage(title, body, {actions,
// back}), and their small parts: head(title, ...buttons), btn(label, onclick, opts), table(testid,
// headers, tbody), td(content, cls) and diff(before, after, clearable) (send only what changed).
//
// Test ids (stable, for tests/e2e):
//   (menu) nav-dashboard nav-tickets nav-systemic nav-bulletins nav-policies nav-campaigns nav-manage nav-departments nav-users
//   nav-enterprises nav-categories nav-calendar nav-notifications nav-audit nav-me

import { h } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { currentHash } from '../core/router.js';
import { page, setTabs } from '../core/layout.js';

export const NAV = [
  { hash: '#/a', label: 'a.nav.dashboard', icon: 'chart', testid: 'nav-dashboard' },
  { hash: '#/d', label: 'a.nav.tickets', icon: 'list', testid: 'nav-tickets' },
  { hash: '#/d/systemic', label: 'sy.tab', icon: 'alert', testid: 'nav-systemic' },
  { hash: '#/bulletins', label: 'bl.title', icon: 'file', testid: 'nav-bulletins' },
  { hash: '#/s/policies', label: 'ps.nav', icon: 'file', testid: 'nav-policies', hub: 'ps.hub' },
  { hash: '#/a/campaigns', label: 'a.nav.campaigns', icon: 'megaphone', testid: 'nav-campaigns', hub: 'a.hub.campaigns' },
  { hash: '#/a/departments', label: 'a.nav.departments', icon: 'building', testid: 'nav-departments', hub: 'a.hub.departments' },
  { hash: '#/a/users', label: 'a.nav.users', icon: 'user', testid: 'nav-users', hub: 'a.hub.users' },
  { hash: '#/a/enterprises', label: 'a.nav.enterprises', icon: 'home', testid: 'nav-enterprises', hub: 'a.hub.enterprises' },
  { hash: '#/a/categories', label: 'a.nav.categories', icon: 'file', testid: 'nav-categories', hub: 'a.hub.categories' },
  { hash: '#/a/calendar', label: 'a.nav.calendar', icon: 'clock', testid: 'nav-calendar', hub: 'a.hub.calendar' },
  { hash: '#/a/notifications', label: 'a.nav.notifications', icon: 'bell', testid: 'nav-notifications', hub: 'a.hub.notifications' },
  { hash: '#/a/audit', label: 'a.nav.audit', icon: 'file', testid: 'nav-audit', hub: 'a.hub.audit' },
  { hash: '#/a/me', label: 'a.nav.me', icon: 'settings', testid: 'nav-me' },
];
const PHONE_NAV = [
  NAV[0], NAV[1],
  { hash: '#/a/manage', label: 'a.nav.manage', icon: 'settings', testid: 'nav-manage' },
  { hash: '#/a/me', label: 'a.nav.me', icon: 'user', testid: 'nav-me' },
];
export const wideScreen = window.matchMedia('(min-width: 900px)');

export function applyTabs() { setTabs('admin', wideScreen.matches ? NAV : PHONE_NAV); }

export function adminPage(title, body, { actions, back } = {}) {
  const node = page({ title, body: h('div', { class: 'sa-main' }, body), actions, back, tabbar: true, wide: true, className: 'sf-page sa-page' });
  // On phones the management pages belong to the "管理" tab (the dashboard's '#/a' would otherwise claim them by prefix).
  const hash = currentHash().split('?')[0];
  const bar = node.querySelector('.tabbar');
  if (bar && !wideScreen.matches && hash !== '#/a' && hash !== '#/a/me') {
    bar.querySelectorAll('.tabbar-item').forEach((a) => {
      const on = a.getAttribute('data-testid') === 'nav-manage';
      a.classList.toggle('active', on);
      if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
  }
  return node;
}

export function head(title, ...buttons) {
  return h('div', { class: 'sa-head' }, h('h2', null, title), buttons.length ? h('div', { class: 'btn-row' }, buttons) : null);
}

export function btn(label, onclick, { cls = 'btn-ghost btn-small', testid, ic, disabled } = {}) {
  return h('button', { type: 'button', class: ['btn', cls], onclick, 'data-testid': testid, disabled: !!disabled }, ic ? icon(ic) : null, label);
}

export function table(testid, headers, tbody) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table sa-table', 'data-testid': testid },
      h('thead', null, h('tr', null, headers.map((x) => (typeof x === 'string' ? h('th', null, x) : h('th', { class: x.cls }, x.label))))),
      tbody));
}

export function td(content, cls) { return h('td', { class: cls }, content ?? ''); }

/** Send only what changed; '' → null for clearable fields. */
export function diff(before, after, clearable) {
  const out = {};
  for (const [k, v] of Object.entries(after)) {
    const old = before ? before[k] : undefined;
    let nv = v;
    if (typeof nv === 'string' && clearable.includes(k) && nv.trim() === '') nv = null;
    if (before && (old ?? null) === (nv ?? null)) continue;
    if (!before && (nv === null || nv === '')) continue;
    out[k] = nv;
  }
  return out;
}
