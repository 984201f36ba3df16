// desk/directory.js — the staff and admin pages' look-ups of the directory, cached per signed-in
// user for a few minutes: directory.departments() / categories() / category(id) / user(id) /
// enterprise(id) (null when not visible to the reader) / cadres(deptId); cached(key, fn, ttl),
// invalidate(prefix), fetchAll(path, query) (every page of a cursor-paged list), and the
// department tree: deptTree(depts), deptSelectOptions(depts, {selected, placeholder, excludeId}),
// nameMap(list) (id → name).

import { h } from '../core/dom.js';
import { api } from '../core/api.js';
import { ApiError } from '../core/errors.js';
import { session } from '../core/session.js';

/** A cache of directory look-ups, per signed-in user, with a short lifetime. */
const cache = new Map();
function cacheKey(k) { const u = session.user(); return `${u ? u.id : '-'}|${k}`; }
export function cached(key, fn, ttlMs = 5 * 60000) {
  const k = cacheKey(key);
  const c = cache.get(k);
  if (c && Date.now() - c.at < ttlMs) return c.p;
  const p = Promise.resolve().then(fn);
  cache.set(k, { p, at: Date.now() });
  p.catch(() => { if (cache.get(k) && cache.get(k).p === p) cache.delete(k); });
  return p;
}
export function invalidate(prefix) {
  const pre = cacheKey(prefix);
  for (const k of [...cache.keys()]) if (k.startsWith(pre)) cache.delete(k);
}

/** Every page of a cursor-paged list (capped). */
export async function fetchAll(path, query = {}, max = 3000) {
  const items = [];
  let cursor = null;
  do {
    const r = await api('GET', path, null, { query: { ...query, limit: 100, cursor } });
    items.push(...(r.items || []));
    cursor = r.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

export const directory = {
  departments: () => cached('departments', () => api('GET', '/departments').then((r) => r.items || [])),
  categories: () => cached('categories', () => api('GET', '/categories').then((r) => r.items || [])),
  category: (id) => cached(`category:${id}`, () => api('GET', `/categories/${encodeURIComponent(id)}`)),
  user: (id) => cached(`user:${id}`, () => api('GET', `/users/${encodeURIComponent(id)}`)),
  // null when the enterprise is not visible to the reader (a cadre who is not its liaison cadre): remembered, not retried.
  enterprise: (id) => cached(`enterprise:${id}`, () => api('GET', `/enterprises/${encodeURIComponent(id)}`)
    .catch((e) => { if (e instanceof ApiError && (e.status === 404 || e.status === 403)) return null; throw e; }), 5 * 60000),
  cadres: (deptId) => cached(`cadres:${deptId || ''}`, () => fetchAll('/users', { role: 'cadre', department_id: deptId, disabled: false }), 60000),
};

/** Departments as a tree, flattened in display order: [{dept, depth}]. */
export function deptTree(depts, excludeId) {
  const byParent = new Map();
  const ids = new Set(depts.map((d) => d.id));
  for (const d of depts) {
    const p = d.parent_id && ids.has(d.parent_id) ? d.parent_id : null;
    if (!byParent.has(p)) byParent.set(p, []);
    byParent.get(p).push(d);
  }
  const out = [];
  const walk = (pid, depth) => {
    const kids = (byParent.get(pid) || []).slice().sort((a, b) => a.name.localeCompare(b.name, 'zh'));
    for (const d of kids) {
      if (excludeId && d.id === excludeId) continue; // and its subtree
      out.push({ dept: d, depth });
      if (depth < 64) walk(d.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

export function deptSelectOptions(depts, { selected, placeholder, excludeId } = {}) {
  const opts = [];
  if (placeholder !== undefined) opts.push(h('option', { value: '' }, placeholder));
  for (const { dept, depth } of deptTree(depts, excludeId)) {
    opts.push(h('option', { value: dept.id, selected: dept.id === selected }, `${'　'.repeat(depth)}${dept.name}`));
  }
  return opts;
}

export function nameMap(list) {
  const m = new Map();
  for (const x of list || []) m.set(x.id, x.name);
  return m;
}
