// desk/paged-list.js — lists fed page by page (加载更多) for the staff and admin pages:
// pagedList({load(cursor) → {items, next_cursor}, item, emptyText, testid, listTag, listClass,
// wrap, onItems}) → {element, reload(), list}; and setHashQuery(query), which keeps a list's tab
// and filters in the address without re-rendering.
//
// Test ids (stable, for tests/e2e):
//   load-more list-end

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { ApiError } from '../core/errors.js';
import { currentHash } from '../core/router.js';
import { loading, empty, errorState } from '../core/states.js';

/** A list fed page by page ("加载更多"). load(cursor) → {items, next_cursor}. */
export function pagedList({ load, item, emptyText, testid = 'list', listTag = 'div', listClass, wrap, onItems }) {
  const list = h(listTag, { class: listClass || 'list', 'data-testid': testid });
  const footer = h('div', { class: 'sf-more' });
  const shell = wrap ? wrap(list) : list;
  const root = h('div', { class: 'sf-paged' }, shell, footer);
  let cursor = null;
  let seq = 0;
  let count = 0;
  async function more(reset) {
    const my = reset ? ++seq : seq;
    if (reset) { cursor = null; count = 0; list.replaceChildren(); shell.classList.add('hidden'); }
    footer.replaceChildren(loading());
    try {
      const r = await load(cursor);
      if (my !== seq) return;
      const items = r.items || [];
      for (const it of items) { const n = item(it); if (n) list.appendChild(n); }
      count += items.length;
      cursor = r.next_cursor || null;
      if (onItems) onItems(items, count);
      shell.classList.toggle('hidden', count === 0);
      if (!count) footer.replaceChildren(empty(emptyText));
      else if (cursor) {
        footer.replaceChildren(h('button', { type: 'button', class: 'btn btn-ghost btn-block', 'data-testid': 'load-more', onclick: () => more(false) }, t('common.more')));
      } else footer.replaceChildren(h('div', { class: 'sf-end muted', 'data-testid': 'list-end' }, t('common.noMore')));
    } catch (err) {
      if (my !== seq) return;
      if (err instanceof ApiError && err.status === 401) return;
      footer.replaceChildren(errorState(err, () => more(count === 0)));
    }
  }
  more(true);
  return { element: root, reload: () => more(true), list };
}

/** Replace the hash's query without re-rendering (keeps the tab in the address for reloads and Back). */
export function setHashQuery(query) {
  const base = currentHash().split('?')[0];
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  history.replaceState(history.state, '', s ? `${base}?${s}` : base);
}
