// core/router.js — the hash router. Pages declare routes; the router renders the one the
// address names, for the roles it allows, and sends everyone else home or to sign-in.
//
//   route(pattern, render, opts?)   '#/e/tickets/:id'; render(params, query) → Node | Promise<Node>;
//                                   opts {roles: ['enterprise'], public: false, guestOnly: false}.
//                                   Static segments beat ':params'.
//   navigate(hash, {replace}?)      go to a hash (re-renders when it is the current one).
//   refresh() / start() / currentHash() ('#/e/tickets/…?x=1')
//   onLeave(fn)                     run fn when the current route is left (timers, listeners).
//   onRouteLeave(fn)                run fn whenever any route is left (for the whole session).
//   afterSignIn()                   go to the hash remembered before sign-in (if the role may see it), else home.
//   rememberNext(hash)              remember where to come back to after sign-in.
//   setRoleLoader(fn)               fn(role) → Promise: loads a role's pages (main.js); awaited before
//                                   a signed-in reader's first route, retried after a failure.
//   setFallbackPages({loading, error})  the pages shown while a route loads and when it fails
//                                   (main.js builds them with core/layout.js, which needs the router).

import { h } from './dom.js';
import { t, onLangChange, setLang, lang, LANG_KEY } from './i18n.js';
import { ApiError } from './errors.js';
import { session, homeOf, SESSION_KEY } from './session.js';

const NEXT_KEY = 'qys.next';
const routes = [];
let started = false;
let renderSeq = 0;
let leaveFns = [];
const globalLeaveFns = [];
let roleLoader = null;
const rolesLoaded = new Map(); // role → Promise
let fallback = {
  loading: () => h('div', null, t('common.loading')),
  error: (err) => h('div', { role: 'alert' }, err && err.message),
};

/** Declare a route. */
export function route(pattern, render, opts = {}) {
  const segs = pattern.replace(/^#?\/?/, '').split('/').filter(Boolean);
  const score = segs.reduce((s, seg, i) => s + (seg.startsWith(':') ? 1 : 2) * 100 ** (10 - i), 0);
  routes.push({ pattern, segs, render, opts, score });
}

export function setRoleLoader(fn) { roleLoader = fn; }

export function setFallbackPages(pages) { fallback = { ...fallback, ...pages }; }

/** The signed-in role's pages, loaded once (a failed load is tried again next time). */
function loadRole(role) {
  if (!roleLoader || !role) return Promise.resolve();
  let p = rolesLoaded.get(role);
  if (!p) {
    p = Promise.resolve().then(() => roleLoader(role));
    rolesLoaded.set(role, p);
    p.catch(() => { if (rolesLoaded.get(role) === p) rolesLoaded.delete(role); });
  }
  return p;
}

export function currentHash() { return location.hash || '#/'; }

function parseHash(hash) {
  const raw = (hash || '').replace(/^#/, '');
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const query = Object.fromEntries(new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : ''));
  return { segs: path.split('/').filter(Boolean), query };
}

function matchRoute(hash) {
  const { segs, query } = parseHash(hash);
  let best = null;
  for (const def of routes) {
    if (def.segs.length !== segs.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < segs.length; i++) {
      const p = def.segs[i];
      if (p.startsWith(':')) {
        try { params[p.slice(1)] = decodeURIComponent(segs[i]); } catch { params[p.slice(1)] = segs[i]; }
      } else if (p !== segs[i]) { ok = false; break; }
    }
    if (ok && (!best || def.score > best.def.score)) best = { def, params, query };
  }
  return best;
}

function allowed(def, role) {
  if (def.opts.public) return true;
  if (!role) return false;
  return !def.opts.roles || def.opts.roles.includes(role);
}

export function navigate(hash, opts = {}) {
  if (!hash.startsWith('#')) hash = `#${hash}`;
  if (hash === location.hash) { render(); return; }
  if (opts.replace) {
    history.replaceState(history.state, '', hash);
    render();
  } else {
    location.hash = hash; // hashchange renders
  }
}

export function refresh() { render(); }

export function onLeave(fn) { leaveFns.push(fn); }

export function onRouteLeave(fn) { globalLeaveFns.push(fn); }

export function rememberNext(hash) {
  try {
    if (hash && !/^#\/(login|register|forgot|password|consent|legal)\b/.test(hash) && hash !== '#' && hash !== '#/') sessionStorage.setItem(NEXT_KEY, hash);
  } catch { /* ignore */ }
}

export async function afterSignIn() {
  let next = null;
  try { next = sessionStorage.getItem(NEXT_KEY); sessionStorage.removeItem(NEXT_KEY); } catch { /* ignore */ }
  const role = session.role();
  if (next) {
    try { await loadRole(role); } catch { /* the page it goes to says so */ }
    const m = matchRoute(next);
    if (m && !m.def.opts.guestOnly && allowed(m.def, role)) { navigate(next, { replace: true }); return; }
  }
  navigate(homeOf(role), { replace: true });
}

function leaveRoute() {
  const fns = [...leaveFns, ...globalLeaveFns]; leaveFns = [];
  for (const fn of fns) { try { fn(); } catch (e) { console.error(e); } }
  document.querySelectorAll('dialog[open]').forEach((d) => d.close());
}

function appRoot() {
  let el = document.getElementById('app');
  if (!el) { el = h('div', { id: 'app' }); document.body.appendChild(el); }
  return el;
}

function mount(node) {
  const root = appRoot();
  root.replaceChildren(node);
  const title = node.querySelector && node.querySelector('.topbar-title');
  // "企业哨", not "企业哨 - 企业哨", on a page whose own title is the service's name.
  const own = title ? title.textContent.trim() : '';
  document.title = own && own !== t('app.name') ? `${own} - ${t('app.name')}` : t('app.name');
}

async function render() {
  const seq = ++renderSeq;
  leaveRoute();
  const hash = currentHash();
  const role = session.role();
  let timer = setTimeout(() => { if (seq === renderSeq) mount(fallback.loading()); }, 120);
  try {
    // A signed-in reader's pages arrive with the first route they open (main.js says which).
    if (role) await loadRole(role);
    if (seq !== renderSeq) return;
    // A password someone else set is changed before anything else (the API refuses the rest).
    const user = session.user();
    if (user && user.must_change_password && !/^#\/password\b/.test(hash)) {
      rememberNext(hash);
      navigate('#/password', { replace: true });
      return;
    }
    // So are the legal texts in force, for an enterprise user who has not accepted them.
    if (user && !user.must_change_password && user.consent_required && !/^#\/(consent|legal)\b/.test(hash)) {
      rememberNext(hash);
      navigate('#/consent', { replace: true });
      return;
    }
    const m = matchRoute(hash);
    if (!m) {
      // Not found, or the pages of a role not signed in: sign-in may lead back here.
      if (!role) rememberNext(hash);
      navigate(role ? homeOf(role) : '#/login', { replace: true });
      return;
    }
    if (!allowed(m.def, role)) {
      if (!role) { rememberNext(hash); navigate('#/login', { replace: true }); }
      else navigate(homeOf(role), { replace: true });
      return;
    }
    if (m.def.opts.guestOnly && role) { navigate(homeOf(role), { replace: true }); return; }
    const node = await m.def.render(m.params, m.query);
    if (seq !== renderSeq) return;
    clearTimeout(timer); timer = null;
    mount(node);
    const main = appRoot().querySelector('.page-body');
    if (main && !document.activeElement?.closest?.('#app')) main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  } catch (err) {
    if (seq !== renderSeq) return;
    if (err instanceof ApiError && err.status === 401) return; // the API client has gone to sign-in
    if (!(err instanceof ApiError)) console.error(err);
    mount(fallback.error(err, () => render()));
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export function start() {
  if (started) return;
  started = true;
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  onLangChange(() => refresh());
  window.addEventListener('hashchange', () => render());
  window.addEventListener('storage', (e) => {
    if (e.key === SESSION_KEY && !e.newValue && !/^#\/(login|register|forgot)\b/.test(currentHash())) {
      rememberNext(currentHash());
      navigate('#/login', { replace: true });
    } else if (e.key === LANG_KEY && e.newValue) {
      try { const l = JSON.parse(e.newValue); if (l !== lang()) setLang(l); } catch { /* ignore */ }
    }
  });
  if (!location.hash || location.hash === '#' || location.hash === '#/') {
    const role = session.role();
    history.replaceState(history.state, '', role ? homeOf(role) : '#/login');
  }
  render();
}
