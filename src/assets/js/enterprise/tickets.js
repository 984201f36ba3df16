// enterprise/tickets.js — what the enterprise's pages share about tickets: the open statuses,
// the row of a ticket in a list (ticketItem, with 去评价 when its allowed_actions has revisit, and the
// searched words marked when the list was searched: ticket-snippet), and the
// departments and categories, each fetched once per page load.

import { h, marked } from '../core/dom.js';
import { icon } from '../core/icons.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';
import { navigate } from '../core/router.js';
import { fmtDateTime, fmtDate, fmtDue, statusTag, kindTag } from '../core/format.js';
import { may } from '../core/allowed.js';

export const OPEN = ['submitted', 'accepted', 'assigned', 'in_progress'];

let deptsPromise = null;
export function departments() {
  if (!deptsPromise) {
    deptsPromise = api('GET', '/departments').then((r) => new Map((r.items || []).map((d) => [d.id, d.name])))
      .catch(() => { deptsPromise = null; return new Map(); });
  }
  return deptsPromise;
}

let catsPromise = null;
export function categories() {
  if (!catsPromise) {
    catsPromise = api('GET', '/categories').then((r) => r.items || [])
      .catch((e) => { catsPromise = null; throw e; });
  }
  return catsPromise;
}

export function ticketItem(tk) {
  const due = OPEN.includes(tk.status) && tk.due_at ? fmtDue(tk.due_at) : null;
  const rate = may(tk, 'revisit');
  return h('a', { class: 'list-item ticket-item', href: `#/e/tickets/${encodeURIComponent(tk.id)}`, 'data-testid': 'ticket-item', 'data-id': tk.id, 'data-status': tk.status },
    h('div', { class: 'ti-head' },
      h('span', { class: 'ti-title' }, tk.highlight ? marked(tk.highlight.title) : tk.title),
      statusTag(tk.status)),
    tk.highlight ? h('div', { class: 'ti-snippet muted', 'data-testid': 'ticket-snippet' }, marked(tk.highlight.description)) : null,
    h('div', { class: 'ti-meta muted' },
      kindTag(tk.kind),
      h('span', { class: 'ti-number' }, tk.number),
      h('span', null, fmtDate(tk.created_at))),
    due || rate ? h('div', { class: 'ti-foot' },
      due ? h('span', { class: ['due', due.cls] }, icon('clock'), t('detail.due'), ' ', fmtDateTime(tk.due_at), ' · ', due.text) : h('span'),
      rate ? h('span', { class: 'btn btn-primary btn-small', 'data-testid': 'ticket-rate-quick',
        onclick: (e) => { e.preventDefault(); e.stopPropagation(); navigate(`#/e/tickets/${encodeURIComponent(tk.id)}/rate`); } }, t('list.toRate')) : null) : null);
}
