// staff/routing-hint.js — 智能分拨: a ticket's routing suggestions in the accept and assign
// dialogs — the likeliest categories and lead departments as chips with their confidence,
// marked as suggestions: the dispatcher decides. A confident first department is pre-filled by
// the assign dialog; a chip picks its department.
//
//   loadRouting(id) → the answer of GET /tickets/{id}/routing, or null (not offered or failed:
//     the dialog opens without suggestions).
//   routingHint(routing, {categoryId, onDepartment}) → the element, or null without an answer.
//
// Test ids (stable, for tests/e2e):
//   routing-hint routing-none routing-category (chip, data-id) routing-department (chip,
//   data-id) routing-differs

import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { api } from '../core/api.js';

export async function loadRouting(id) {
  try {
    return await api('GET', `/tickets/${encodeURIComponent(id)}/routing`);
  } catch {
    return null;
  }
}

// Never 0% or 100%: a suggestion is a likelihood, not a certainty.
const percent = (c) => (c < 0.005 ? '<1%' : c > 0.995 ? '>99%' : `${Math.round(c * 100)}%`);

function chip(s, testid, onPick) {
  const label = [h('span', { class: 'sf-chip-name' }, s.name), h('span', { class: 'sf-chip-pct' }, percent(s.confidence))];
  const attrs = { class: ['sf-chip', s.prefill && 'is-confident'], 'data-testid': testid, 'data-id': s.id,
    title: t('s.routing.chipTitle', { name: s.name, pct: percent(s.confidence) }) };
  if (!onPick) return h('span', attrs, label);
  return h('button', { ...attrs, type: 'button', onclick: () => onPick(s) }, label);
}

export function routingHint(routing, { categoryId, onDepartment } = {}) {
  if (!routing) return null;
  const { categories, departments } = routing;
  if (!categories.length && !departments.length) {
    return h('div', { class: 'sf-routing', 'data-testid': 'routing-hint' },
      h('div', { class: 'sf-routing-head' }, t('s.routing.title')),
      h('p', { class: 'muted', 'data-testid': 'routing-none' }, t('s.routing.none')));
  }
  const top = categories[0];
  const differs = top && top.prefill && categoryId && top.id !== categoryId;
  return h('div', { class: 'sf-routing', 'data-testid': 'routing-hint' },
    h('div', { class: 'sf-routing-head' }, t('s.routing.title'), h('span', { class: 'sf-routing-note' }, t('s.routing.note'))),
    categories.length ? h('div', { class: 'sf-routing-row' },
      h('span', { class: 'sf-routing-label' }, t('s.routing.category')),
      h('div', { class: 'sf-chips' }, categories.map((s) => chip(s, 'routing-category')))) : null,
    differs ? h('p', { class: 'field-hint sf-warn-hint', 'data-testid': 'routing-differs' }, t('s.routing.differs', { name: top.name })) : null,
    departments.length ? h('div', { class: 'sf-routing-row' },
      h('span', { class: 'sf-routing-label' }, t('s.routing.department')),
      h('div', { class: 'sf-chips' }, departments.map((s) => chip(s, 'routing-department', onDepartment)))) : null);
}
