// main.js — the entry point, the one script index.html names. It loads only the shell (core/*),
// the sign-in pages and the links in messages (tickets, policies, applications); the pages of
// the signed-in role are fetched with import() when that role first opens a page
// (docs/frontend.md, "Loading by role"), so that an enterprise's phone never downloads the staff
// or admin pages, and staff.css is added only for those. As served, build.rs has bundled it:
// each import() fetches the role's bundle and preloads the bundles that one imports.

import { h } from './core/dom.js';
import { t } from './core/i18n.js';
import { session, homeOf } from './core/session.js';
import { route, navigate, start, setRoleLoader, setFallbackPages } from './core/router.js';
import { page } from './core/layout.js';
import { loading, errorState } from './core/states.js';
import { loginPage } from './auth/login.js';
import { registerPage } from './auth/register.js';
import { messagesPage } from './core/messages.js';
import { passwordPage } from './auth/password.js';
import { forgotPage } from './auth/forgot.js';
import { legalPage, consentPage, phonePage, membersPage, joinRequestsPage, legalEditPage } from './auth/account.js';

/** The modules of each role's pages; each has register(), which declares its routes. */
const ROLE_PAGES = {
  enterprise: () => [import('./enterprise/index.js')],
  cadre: () => [import('./staff/index.js')],
  dispatcher: () => [import('./staff/index.js')],
  admin: () => [import('./staff/index.js'), import('./admin/index.js')],
};

const STAFF_CSS = '/assets/staff.css';

/** Adds a stylesheet once; resolves when it has loaded. */
function stylesheet(href) {
  const found = document.querySelector(`link[rel="stylesheet"][href="${href}"]`);
  if (found) return found.dataset.loaded ? Promise.resolve() : new Promise((resolve, reject) => {
    found.addEventListener('load', () => resolve(), { once: true });
    found.addEventListener('error', () => reject(new Error(`${href} did not load`)), { once: true });
  });
  return new Promise((resolve, reject) => {
    const link = h('link', { rel: 'stylesheet', href });
    link.addEventListener('load', () => { link.dataset.loaded = '1'; resolve(); }, { once: true });
    link.addEventListener('error', () => { link.remove(); reject(new Error(`${href} did not load`)); }, { once: true });
    document.head.appendChild(link);
  });
}

const registered = new Set();

setRoleLoader(async (role) => {
  const load = ROLE_PAGES[role];
  if (!load) return;
  const [modules] = await Promise.all([
    Promise.all(load()),
    role === 'enterprise' ? null : stylesheet(STAFF_CSS),
  ]);
  for (const m of modules) {
    if (registered.has(m)) continue;
    registered.add(m);
    m.register();
  }
});

setFallbackPages({
  loading: () => page({ title: t('app.name'), body: loading() }),
  error: (err, retry) => page({ title: t('common.error'), back: true, body: [errorState(err, retry),
    h('div', { class: 'state-actions' }, h('a', { class: 'btn btn-ghost btn-small', href: homeOf(session.role()), 'data-testid': 'go-home' }, t('common.home')))] }),
});

route('#/login', loginPage, { public: true, guestOnly: true });
route('#/register', registerPage, { public: true, guestOnly: true });
route('#/forgot', forgotPage, { public: true, guestOnly: true });
// Every role's: from 我的, or where the router sends a user whose password someone else set.
route('#/password', passwordPage);
// The user agreement and privacy policy: anyone (registration links them); accepting a new
// version, where the router sends an enterprise user who has not.
route('#/legal', legalPage, { public: true });
route('#/consent', consentPage);
route('#/phone', phonePage);
route('#/members', membersPage, { roles: ['enterprise'] });
route('#/join-requests', joinRequestsPage, { roles: ['dispatcher', 'admin'] });
route('#/legal-edit', legalEditPage, { roles: ['admin'] });

// The links in e-mails and SMS (/tickets/{id}, /tickets/{id}/rate) arrive as #/t/…: after
// sign-in they open the ticket in the page of the reader's role.
const ticketPage = { enterprise: '#/e/tickets/', cadre: '#/c/tickets/', dispatcher: '#/d/tickets/', admin: '#/d/tickets/' };
function ticketLink(params, rate) {
  const role = session.role();
  const base = ticketPage[role];
  const to = base ? `${base}${encodeURIComponent(params.id)}${rate && role === 'enterprise' ? '/rate' : ''}` : '#/login';
  setTimeout(() => navigate(to, { replace: true }), 0);
  return loading();
}
route('#/messages', messagesPage);
route('#/t/:id', (p) => ticketLink(p, false));
route('#/t/:id/rate', (p) => ticketLink(p, true));

// 送政策: the links in policy messages, e-mails and SMS (#/policies/{id}, #/applications/{id})
// open the policy or the application in the page of the reader's role.
const policyPages = {
  policies: { enterprise: '#/e/policies/', cadre: '#/s/policies/', dispatcher: '#/s/policies/', admin: '#/s/policies/' },
  applications: { enterprise: '#/e/applications/', cadre: '#/s/applications/', dispatcher: '#/s/applications/', admin: '#/s/applications/' },
};
function policyLink(kind, params) {
  const base = policyPages[kind][session.role()];
  setTimeout(() => navigate(base ? `${base}${encodeURIComponent(params.id)}` : '#/login', { replace: true }), 0);
  return loading();
}
route('#/policies/:id', (p) => policyLink('policies', p));
route('#/applications/:id', (p) => policyLink('applications', p));

start();
