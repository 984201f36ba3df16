// core/api.js — the API client. Every call sends the access token in the Authorization header
// (never in a URL); an expired token is refreshed once and the call retried; when the session
// is over, it goes to sign-in and remembers where it was.
//
//   api(method, path, body?, opts?)  JSON; path '/tickets' → '/api/v1/tickets' ('/api/...' kept);
//                                    body FormData → multipart, else JSON; opts {query, headers,
//                                    auth: true, signal, redirectOn401: true} → parsed JSON or null;
//                                    throws ApiError.
//   apiBlob(path, opts?)             → Promise<Blob>.
//   blobUrl(path)                    → Promise<object URL> for <img src> (attachments cached for the
//                                    session; others revoked when the route is left).
//   download(path)                   save a download by opening a signed link to it (POST /downloads →
//                                    /api/v1/downloads/<token>, good for a minute): no blob: URL,
//                                    which WeChat's browser cannot save; the name is the server's.
//   uploadFile(file, onProgress?)    POST /api/v1/attachments (part 'file') with upload progress → attachment.

import { h } from './dom.js';
import { t } from './i18n.js';
import { qs } from './store.js';
import { ApiError } from './errors.js';
import { session, onSessionEnd, refreshOnce, freshToken } from './session.js';
import { navigate, currentHash, rememberNext, onRouteLeave } from './router.js';
import { toast } from './feedback.js';

/** The session is gone (refresh refused): forget it and go to the login page, remembering where we were. */
function sessionLost() {
  const had = session.signedIn();
  session.drop();
  rememberNext(currentHash());
  if (had) toast(t('common.sessionExpired'), 'warn');
  if (!/^#\/(login|register)\b/.test(currentHash())) navigate('#/login', { replace: true });
}

function apiUrl(path, query) {
  let url = path.startsWith('/api/') || path.startsWith('http') ? path : `/api/v1${path.startsWith('/') ? '' : '/'}${path}`;
  if (query) {
    const q = qs(query);
    if (q) url += (url.includes('?') ? '&' : '?') + q.slice(1);
  }
  return url;
}

async function errorFrom(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const extra = {};
  if (body && body.rows) extra.rows = body.rows;
  const ra = res.headers.get('Retry-After');
  if (ra) extra.retryAfter = Number(ra);
  return new ApiError(res.status, body && body.error, body && body.message, body && body.fields, extra);
}

async function rawFetch(method, path, body, opts = {}) {
  const auth = opts.auth !== false;
  const url = apiUrl(path, opts.query);
  const send = async (token) => {
    const headers = { Accept: 'application/json', ...(opts.headers || {}) };
    let payload;
    if (body instanceof FormData || body instanceof Blob) payload = body;
    else if (body !== undefined && body !== null) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await fetch(url, { method, headers, body: payload, signal: opts.signal, cache: 'no-store' });
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', t('err.network'));
    }
  };
  let token = auth ? await freshToken() : null;
  let res = await send(token);
  if (res.status === 401 && auth && session.signedIn()) {
    let ok = false;
    if (token && session.token() && session.token() !== token) ok = true; // refreshed meanwhile by another call
    else { try { ok = await refreshOnce(); } catch { ok = false; } }
    if (ok) {
      token = session.token();
      res = await send(token);
    }
    if (res.status === 401) {
      const err = await errorFrom(res);
      if (opts.redirectOn401 !== false) sessionLost();
      throw err;
    }
  } else if (res.status === 401 && auth && opts.redirectOn401 !== false) {
    const err = await errorFrom(res);
    sessionLost();
    throw err;
  }
  if (!res.ok) throw await errorFrom(res);
  return res;
}

/** JSON API call. */
export async function api(method, path, body, opts = {}) {
  const res = await rawFetch(method.toUpperCase(), path, body, opts);
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return text; }
}

export async function apiBlob(path, opts = {}) {
  const res = await rawFetch('GET', path, null, { ...opts, headers: { Accept: '*/*', ...(opts.headers || {}) } });
  return res.blob();
}

const blobCache = new Map(); // path → Promise<url> (attachments: immutable)
let routeBlobs = [];

function clearBlobCache() {
  for (const p of blobCache.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
  blobCache.clear();
}

export function blobUrl(path) {
  const cacheable = /\/attachments\/[^/?]+$/.test(path);
  if (cacheable && blobCache.has(path)) return blobCache.get(path);
  const p = apiBlob(path).then((b) => {
    const u = URL.createObjectURL(b);
    if (!cacheable) routeBlobs.push(u);
    return u;
  });
  if (cacheable) {
    blobCache.set(path, p);
    p.catch(() => blobCache.delete(path));
  }
  return p;
}

/**
 * Saves a download. The page asks for a signed link to it (the request carries the token) and
 * opens the link by plain navigation: the answer is an attachment, so the page stays where it is
 * and the browser saves it — WeChat's built-in browser too, which cannot save a blob: URL.
 */
export async function download(path) {
  const link = await api('POST', '/downloads', { path: apiUrl(path) });
  const a = h('a', { href: link.url, class: 'hidden', rel: 'noopener', 'data-testid': 'download-link' });
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function xhrUpload(file, token, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/attachments');
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    if (onProgress) {
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(Math.round((e.loaded / e.total) * 100)); };
    }
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', t('err.network')));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
    const fd = new FormData();
    fd.append('file', file, file.name || 'file');
    xhr.send(fd);
  });
}

export async function uploadFile(file, onProgress) {
  const first = await freshToken();
  let r = await xhrUpload(file, first, onProgress);
  if (r.status === 401 && session.signedIn()) {
    let ok = false;
    if (first && session.token() && session.token() !== first) ok = true;
    else { try { ok = await refreshOnce(); } catch { ok = false; } }
    if (ok) r = await xhrUpload(file, session.token(), onProgress);
    if (r.status === 401) { sessionLost(); }
  }
  if (r.status < 200 || r.status >= 300) {
    const b = r.body || {};
    throw new ApiError(r.status, b.error, b.message, b.fields);
  }
  return r.body;
}

onSessionEnd(clearBlobCache);
onRouteLeave(() => {
  const blobs = routeBlobs; routeBlobs = [];
  for (const u of blobs) URL.revokeObjectURL(u);
});
