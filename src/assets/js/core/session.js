// core/session.js — who is signed in: the tokens and the user, kept in localStorage only
// (never in a URL), and their refresh.
//
//   session.user() / role() / token() / signedIn()
//   session.signIn(loginResponse) / setUser(user)
//   session.signOut()   revokes the refresh token on the server (best effort) and forgets everything,
//                       the drafts (DRAFT_PREFIX) included
//   session.drop()      forgets everything (the server refused the refresh)
//   onSessionEnd(fn)    runs fn after signOut() or drop() (the attachment cache is emptied)
//   homeOf(role)        '#/e' | '#/c' | '#/d' | '#/a' ('#/login' for none)
//   refreshOnce()       refresh the access token, one refresh at a time across tabs → true when fresh
//   freshToken()        the access token, refreshed first when it is about to expire

import { store } from './store.js';
import { t } from './i18n.js';
import { ApiError } from './errors.js';

export const SESSION_KEY = 'qys.session';
/** The keys of drafts kept in localStorage, removed at sign-out. */
export const DRAFT_PREFIX = 'qys.draft.';

function readSession() { return store.get(SESSION_KEY, null); }

const endListeners = [];

export function onSessionEnd(fn) { endListeners.push(fn); }

function forget() {
  store.remove(SESSION_KEY);
  for (const fn of endListeners) fn();
}

export const session = {
  user() { const s = readSession(); return s ? s.user : null; },
  role() { const s = readSession(); return s && s.user ? s.user.role : null; },
  token() { const s = readSession(); return s ? s.access_token : null; },
  signedIn() { return !!readSession(); },
  signIn(resp) {
    store.set(SESSION_KEY, {
      access_token: resp.access_token,
      refresh_token: resp.refresh_token,
      expires_at: Date.now() + (Number(resp.expires_in) || 900) * 1000,
      user: resp.user,
    });
  },
  setUser(user) {
    const s = readSession();
    if (s) { s.user = user; store.set(SESSION_KEY, s); }
  },
  /** Revoke the refresh token on the server (best effort) and forget everything. */
  signOut() {
    const s = readSession();
    // Drafts (qys.draft.*: the filing form) go with the person: the next one to use this
    // phone must not find their request. (An expired session, drop(), keeps them.)
    store.removePrefix(DRAFT_PREFIX);
    forget();
    if (s && s.refresh_token) {
      fetch('/api/v1/auth/logout', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: s.refresh_token }),
        keepalive: true,
      }).catch(() => {});
    }
  },
  /** Forget everything without telling the server (it has refused the session already). */
  drop() { forget(); },
};

export function homeOf(role) {
  return { enterprise: '#/e', cadre: '#/c', dispatcher: '#/d', admin: '#/a' }[role] || '#/login';
}

let refreshing = null;

async function doRefresh() {
  const before = readSession();
  if (!before || !before.refresh_token) return false;
  const run = async () => {
    // Another tab may have refreshed while we waited for the lock: use its tokens.
    const now = readSession();
    if (!now) return false;
    if (now.refresh_token !== before.refresh_token) return true;
    let res;
    try {
      res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ refresh_token: now.refresh_token }),
      });
    } catch {
      throw new ApiError(0, 'network', t('err.network'));
    }
    if (res.status === 401) return false;
    if (!res.ok) throw new ApiError(res.status, 'refresh_failed', t('err.server'));
    session.signIn(await res.json());
    return true;
  };
  if (navigator.locks && navigator.locks.request) return navigator.locks.request('qys-refresh', run);
  return run();
}

/** Refresh the access token, one refresh at a time. Resolves true when a fresh token is stored. */
export function refreshOnce() {
  if (!refreshing) refreshing = doRefresh().finally(() => { refreshing = null; });
  return refreshing;
}

export async function freshToken() {
  const s = readSession();
  if (!s) return null;
  if (s.expires_at && Date.now() > s.expires_at - 20000) {
    try {
      if (!(await refreshOnce())) return null;
    } catch { /* network: try the old token anyway */ }
  }
  const now = readSession();
  return now ? now.access_token : null;
}
